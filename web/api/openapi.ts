// The OpenAPI 3.1 document of /api/v1, generated from the route table and its zod schemas.
import { z } from 'zod';
import type { ApiRoute } from './routes.ts';
import * as S from './schemas.ts';

const NAMES = new Map<z.ZodType, string>(
  Object.entries(S).map(([name, schema]) => [schema as z.ZodType, name]),
);

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output') => {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return rest;
};

export function openApiDocument(routes: readonly ApiRoute[], serverUrl: string): Record<string, unknown> {
  const schemas: Record<string, unknown> = {};
  const ref = (schema: z.ZodType, io: 'input' | 'output') => {
    const name = NAMES.get(schema);
    if (!name) return jsonSchema(schema, io);
    schemas[name] = jsonSchema(schema, io);
    return { $ref: `#/components/schemas/${name}` };
  };
  const errorRef = ref(S.ErrorBody, 'output');
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const params = [...r.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const query = (r.query ?? []).map((name) => ({
      name,
      in: 'query',
      required: false,
      schema: { type: 'string' },
    }));
    const op: Record<string, unknown> = {
      operationId: `${r.method.toLowerCase()}${r.path
        .replace(/^\/api\/v1/, '')
        .replace(/\{(\w+)\}/g, 'By-$1')
        .split(/[/-]/)
        .map((p) => (p ? p[0]!.toUpperCase() + p.slice(1) : ''))
        .join('')}`,
      summary: r.summary,
      ...(params.length || query.length ? { parameters: [...params, ...query] } : {}),
      ...(r.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: ref(r.body, 'input') } },
            },
          }
        : {}),
      ...(r.scope ? { security: [{ bearer: [r.scope] }, { session: [] }] } : { security: [] }),
      responses: {
        [String(r.status ?? 200)]: {
          description: 'OK',
          content: { [r.produces ?? 'application/json']: { schema: ref(r.response, 'output') } },
        },
        default: {
          description: 'An error: what was wrong and what is allowed',
          content: { 'application/json': { schema: errorRef } },
        },
      },
    };
    paths[r.path] = { ...paths[r.path], [r.method.toLowerCase()]: op };
  }
  paths['/api/v1/events'] = {
    get: {
      operationId: 'getEvents',
      summary:
        'Live machine changes (Server-Sent Events): `machine` events carry {id, mine, machine} (the Machine as GET /api/v1/machines/{id} returns it; a browser session also gets `html`, the card), `gone` events {id}; on each connection, the current machines as `machine` events then one `present` event {ids} listing them (anything else shown is gone)',
      security: [{ bearer: ['machines:read'] }, { session: [] }],
      responses: {
        200: {
          description: 'An endless text/event-stream; on connecting, the current state of your machines',
          content: { 'text/event-stream': { schema: { type: 'string' } } },
        },
        default: {
          description: 'An error: what was wrong and what is allowed',
          content: { 'application/json': { schema: errorRef } },
        },
      },
    },
  };
  paths['/api/v1/openapi.json'] = {
    get: {
      operationId: 'getOpenapi',
      summary: 'This document',
      security: [],
      responses: {
        200: {
          description: 'The OpenAPI document',
          content: { 'application/json': { schema: { type: 'object' } } },
        },
      },
    },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'TiSpace API',
      version: '1',
      description: 'Development machines on Kubernetes: the API behind the web UI.',
    },
    servers: [{ url: serverUrl }],
    paths,
    components: {
      schemas,
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'A personal API token (tsp_…), limited to its scopes',
        },
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: '__Host-tispace_session',
          description: 'The browser session; state-changing calls need the x-csrf-token header',
        },
      },
    },
  };
}
