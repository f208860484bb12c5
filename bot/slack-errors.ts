/** Slack's error code of a failed Web API call ("channel_not_found"), or the client's own error code. */
export function slackErrorCode(error: unknown): string {
  const e = error as { code?: string; data?: { error?: string } };
  return e?.data?.error ?? e?.code ?? (error instanceof Error ? error.name : 'unknown');
}
