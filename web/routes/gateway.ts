// The SSH gateway's two calls (images/gateway/): its sshd's AuthorizedKeysCommand asks which machines an
// offered key may reach, and its session reporter says which machines have SSH sessions open (for idle
// detection). Both carry the gateway's shared token (TISPACE_GATEWAY_TOKEN); without a configured token
// the routes do not exist. Answers are plain and fail closed: anything but 200 makes sshd refuse the key.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { GatewayAccess, Result } from '../../provisioner/api.ts';
import { readBody } from '../http/request.ts';
import { SECURITY_HEADERS, sendText } from '../http/respond.ts';
import type { Router } from '../http/router.ts';

export const GATEWAY_KEYS_PATH = '/gateway/v1/authorized-keys';
export const GATEWAY_SESSIONS_PATH = '/gateway/v1/sessions';

/** A gateway's report: the machine connections (ClusterIP:22) its sshd holds open right now. */
export interface GatewaySessionReport {
  gateway: string;
  connections: { peer: string }[];
}

/** Where session reports go (the provisioner's session tracker, provisioner.gatewaySessions). */
export interface GatewaySessionSink {
  reportGatewaySessions(report: GatewaySessionReport): Result<unknown> | undefined;
}

export interface GatewayRouteOptions {
  router: Router;
  gateway: Pick<GatewayAccess, 'authorizedKeys'>;
  sessions?: GatewaySessionSink | undefined;
  token: string;
  log: Logger;
}

// One gateway Pod holds at most a few thousand connections; each is ~30 bytes of JSON.
const MAX_REPORT_BYTES = 1024 * 1024;
const MAX_CONNECTIONS = 20_000;

const reportSchema = z.strictObject({
  gateway: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,252}$/, 'must be a host name (letters, digits, ".", "_", "-")'),
  connections: z
    .array(
      z.strictObject({
        peer: z
          .string()
          .max(64)
          .regex(
            /^(\d{1,3}(\.\d{1,3}){3}|\[[0-9a-fA-F:.]+\]):\d{1,5}$/,
            'must be "<IPv4>:<port>" or "[<IPv6>]:<port>"',
          ),
      }),
    )
    .max(MAX_CONNECTIONS),
});

const digest = (s: string) => createHash('sha256').update(s).digest();

export function gatewayRoutes(o: GatewayRouteOptions): void {
  const expected = digest(o.token);
  // Compared as digests: constant time whatever length was sent.
  const authorized = (req: IncomingMessage): boolean => {
    const header = req.headers.authorization ?? '';
    return header.startsWith('Bearer ') && timingSafeEqual(digest(header.slice(7)), expected);
  };
  const refuse = (req: IncomingMessage, res: ServerResponse) => {
    o.log.warn(
      { remote: req.socket.remoteAddress, path: req.url?.split('?')[0] },
      'gateway call refused: bad token',
    );
    sendText(res, 401, 'a valid gateway token is required (Authorization: Bearer <TISPACE_GATEWAY_TOKEN>)\n');
  };

  o.router.on('GET', GATEWAY_KEYS_PATH, (req, res) => {
    if (!authorized(req)) return refuse(req, res);
    const fingerprint = new URL(req.url ?? '/', 'http://x').searchParams.get('fingerprint') ?? '';
    const answer = o.gateway.authorizedKeys(fingerprint);
    if (!answer.ok) return sendText(res, 400, `${answer.error.message}\n`);
    o.log.debug({ fingerprint, granted: answer.value !== '' }, 'gateway key lookup');
    sendText(res, 200, answer.value);
  });

  o.router.on('POST', GATEWAY_SESSIONS_PATH, async (req, res) => {
    if (!authorized(req)) return refuse(req, res);
    if (!o.sessions) return sendText(res, 404, 'session reports are not taken by this TiSpace\n');
    const parsed = reportSchema.safeParse(await readBody(req, MAX_REPORT_BYTES));
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      return sendText(res, 400, `${issue.path.join('.') || 'body'}: ${issue.message}\n`);
    }
    const recorded = o.sessions.reportGatewaySessions(parsed.data);
    if (recorded && !recorded.ok) return sendText(res, 400, `${recorded.error.message}\n`);
    res.writeHead(204, SECURITY_HEADERS);
    res.end();
  });
}
