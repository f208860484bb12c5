// The Google OAuth client of a sign-in flow (Slack account linking and the web's sign-in share it).
import { OAuth2Client } from 'google-auth-library';
import type { GoogleSettings } from '../config/env.ts';
import { GOOGLE_ISSUERS } from './claims.ts';

export function googleOAuthClient(settings: GoogleSettings, redirectUri: string): OAuth2Client {
  const e = settings.endpoints ?? {};
  return new OAuth2Client({
    clientId: settings.clientId,
    clientSecret: settings.clientSecret,
    redirectUri,
    // The library checks iss against this list too; checkGoogleClaims checks it again exactly.
    issuers: [...GOOGLE_ISSUERS],
    endpoints: {
      ...(e.authUrl ? { oauth2AuthBaseUrl: e.authUrl } : {}),
      ...(e.tokenUrl ? { oauth2TokenUrl: e.tokenUrl } : {}),
      ...(e.certsUrl ? { oauth2FederatedSignonPemCertsUrl: e.certsUrl } : {}),
    },
  });
}

/** One domain: hint it; several: '*' asks Google to offer Workspace accounts only. A hint, not a check. */
export const hdHint = (allowedDomains: readonly string[]): string =>
  allowedDomains.length === 1 ? allowedDomains[0]! : '*';
