/** What the scheduled jobs would do now (admin reap --dry-run); delivered by the jobs module. */
export interface JobsPort {
  dryRun(): Promise<{ instanceId: string; owner: string; action: string; reason: string }[]>;
}
