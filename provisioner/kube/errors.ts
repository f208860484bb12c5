/** Status code of a Kubernetes API error (client-node's ApiException carries `code`). */
const statusOf = (error: unknown): number | undefined => {
  const e = error as
    | { code?: unknown; statusCode?: unknown; response?: { statusCode?: unknown } }
    | undefined;
  const code = e?.code ?? e?.statusCode ?? e?.response?.statusCode;
  return typeof code === 'number' ? code : undefined;
};

export const isNotFound = (error: unknown) => statusOf(error) === 404;
export const isConflict = (error: unknown) => statusOf(error) === 409;
/** No answer, throttled or a server error: worth retrying (as opposed to a refusal). */
export const isTransient = (error: unknown) => {
  const s = statusOf(error);
  return s === undefined || s === 429 || s >= 500;
};

/** The Status body of an API error (client-node gives it parsed or as JSON text), if it has one. */
function statusBody(error: unknown): { reason?: string; message?: string } | undefined {
  let body = (error as { body?: unknown } | undefined)?.body;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      /* plain text body */
    }
  }
  return typeof body === 'object' && body !== null
    ? (body as { reason?: string; message?: string })
    : undefined;
}

/** The reason/message Kubernetes put in its Status body, for conditions and logs. */
export function describeKubeError(error: unknown): string {
  const status = statusBody(error);
  if (status?.message) return `${status.reason ?? statusOf(error) ?? ''}: ${status.message}`;
  return (error as { message?: string } | undefined)?.message ?? String(error);
}

/** Only the Status message (no reason), else the error's own message: for sentences that name the API. */
export function kubeStatusMessage(error: unknown): string {
  const message = statusBody(error)?.message;
  if (typeof message === 'string' && message) return message;
  return error instanceof Error ? error.message : String(error);
}
