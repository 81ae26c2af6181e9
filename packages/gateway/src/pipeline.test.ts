import { Hono, type MiddlewareHandler } from 'hono';
import { describe, expect, it } from 'vitest';
import { chain } from './pipeline.js';
import type { GatewayEnv } from './types.js';

type Step = MiddlewareHandler<GatewayEnv>;

function appOf(steps: Step[]): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const onError = (err: Error) => new Response(`error: ${err.message}`, { status: 500 });
  app.all('*', chain(steps, onError));
  return app;
}

describe('chain', () => {
  const order: string[] = [];
  const sync =
    (name: string): Step =>
    (_c, next) => {
      order.push(name);
      return next();
    };
  const wrapping =
    (name: string): Step =>
    async (c, next) => {
      order.push(`${name} before`);
      await next();
      order.push(`${name} after: ${c.res.status}${c.error ? ` ${c.error.message}` : ''}`);
    };

  it('runs sync and async layers in order; the answer of the last one reaches the outer ones', async () => {
    order.length = 0;
    const answer: Step = async (c) => {
      await new Promise((r) => setTimeout(r, 5));
      order.push('answer');
      return c.text('ok', 201);
    };
    const res = await appOf([wrapping('outer'), sync('a'), sync('b'), answer]).request('/x');
    expect(res.status).toBe(201);
    expect(await res.text()).toBe('ok');
    expect(order).toEqual(['outer before', 'a', 'b', 'answer', 'outer after: 201']);
  });

  it('renders an error thrown after an await through onError; outer layers still run their after-step', async () => {
    order.length = 0;
    const boom: Step = async () => {
      await new Promise((r) => setTimeout(r, 5));
      throw new Error('denied');
    };
    const res = await appOf([wrapping('outer'), sync('a'), boom]).request('/x');
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('error: denied');
    expect(order).toEqual(['outer before', 'a', 'outer after: 500 denied']);
  });

  it('renders a synchronous throw and skips the layers after it', async () => {
    order.length = 0;
    const deny: Step = () => {
      throw new Error('no');
    };
    const res = await appOf([wrapping('outer'), deny, sync('never')]).request('/x');
    expect(res.status).toBe(500);
    expect(order).toEqual(['outer before', 'outer after: 500 no']);
  });

  it('answers 404 when every layer passed on', async () => {
    const res = await appOf([sync('a')]).request('/x');
    expect(res.status).toBe(404);
  });
});
