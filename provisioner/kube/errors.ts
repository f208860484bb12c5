/** Status code of a Kubernetes API error (client-node's ApiException carries `code`). */
export const statusOf = (error: unknown): number | undefined => {
  const e = error as
    | { code?: unknown; statusCode?: unknown; response?: { statusCode?: unknown } }
    | undefined;
  const code = e?.code ?? e?.statusCode ?? e?.response?.statusCode;
  return typeof code === 'number' ? code : undefined;
};

export const isNotFound = (error: unknown) => statusOf(error) === 404;
export const isConflict = (error: unknown) => statusOf(error) === 409;
export const isGone = (error: unknown) => statusOf(error) === 410;
/** Worth retrying later: throttled, server trouble, or no answer at all (connection refused, timeout). */
export const isTransient = (error: unknown) => {
  const s = statusOf(error);
  return s === undefined || s === 429 || s >= 500;
};

/** The reason/message Kubernetes put in its Status body, for conditions and logs. */
export function describeKubeError(error: unknown): string {
  const e = error as { body?: unknown; message?: string };
  let body = e?.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      /* plain text body */
    }
  }
  const status = body as { reason?: string; message?: string } | undefined;
  if (status?.message) return `${status.reason ?? statusOf(error) ?? ''}: ${status.message}`;
  return e?.message ?? String(error);
}
