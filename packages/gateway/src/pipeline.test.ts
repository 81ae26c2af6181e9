import { Hono, type MiddlewareHandler } from 'hono';
import { describe, expect, it } from 'vitest';
import { around } from './around.js';
import { chain, directFetch } from './pipeline.js';
import { nodeRequest } from './testing/node-request.js';
import type { GatewayEnv } from './types.js';

type Step = MiddlewareHandler<GatewayEnv>;

/** A last step that answers after a timer (noting `answer` in `order`). */
const answersLater =
  (order: string[], body: string, status: 201 | 202): Step =>
  async (c) => {
    await new Promise((r) => setTimeout(r, 5));
    order.push('answer');
    return c.text(body, status);
  };

/** A last step that throws after a timer: the walk has to wait for its promise to learn it. */
const failsLater =
  (message: string): Step =>
  async () => {
    await new Promise((r) => setTimeout(r, 5));
    throw new Error(message);
  };

/** The chain as the app's only route: dispatched by Hono itself, or by directFetch as the gateway does. */
function appOf(steps: Step[], direct: boolean): Hono<GatewayEnv> {
  const app = new Hono<GatewayEnv>();
  const onError = (err: Error) => new Response(`error: ${err.message}`, { status: 500 });
  const pipeline = chain(steps, onError);
  app.all('*', pipeline);
  if (direct) app.fetch = directFetch(pipeline, onError);
  return app;
}

describe.each([
  ["Hono's dispatch", false],
  ['directFetch', true],
])('chain, through %s', (_name, direct) => {
  const dispatched = (steps: Step[]) => appOf(steps, direct);
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
    const res = await dispatched([
      wrapping('outer'),
      sync('a'),
      sync('b'),
      answersLater(order, 'ok', 201),
    ]).request('/x');
    expect(res.status).toBe(201);
    expect(await res.text()).toBe('ok');
    expect(order).toEqual(['outer before', 'a', 'b', 'answer', 'outer after: 201']);
  });

  it('renders an error thrown after an await through onError; outer layers still run their after-step', async () => {
    order.length = 0;
    const res = await dispatched([wrapping('outer'), sync('a'), failsLater('denied')]).request('/x');
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('error: denied');
    expect(order).toEqual(['outer before', 'a', 'outer after: 500 denied']);
  });

  it('renders a synchronous throw and skips the layers after it', async () => {
    order.length = 0;
    const deny: Step = () => {
      throw new Error('no');
    };
    const res = await dispatched([wrapping('outer'), deny, sync('never')]).request('/x');
    expect(res.status).toBe(500);
    expect(order).toEqual(['outer before', 'outer after: 500 no']);
  });

  it('answers 404 when every layer passed on', async () => {
    const res = await dispatched([sync('a')]).request('/x');
    expect(res.status).toBe(404);
  });

  const aroundStep = (name: string, opts: { failBefore?: boolean } = {}) =>
    around(
      name,
      () => {
        order.push(`${name} before`);
        if (opts.failBefore) throw new Error(`${name} refused`);
      },
      (c) => order.push(`${name} after: ${c.res.status}${c.error ? ` ${c.error.message}` : ''}`),
    );

  it('runs around steps before the rest and their after innermost first, once the answer is settled', async () => {
    order.length = 0;
    const answer: Step = async (c) => {
      await new Promise((r) => setTimeout(r, 5));
      order.push('answer');
      return c.text('ok', 202);
    };
    const res = await dispatched([aroundStep('id'), aroundStep('log'), sync('a'), answer]).request('/x');
    expect(res.status).toBe(202);
    expect(order).toEqual(['id before', 'log before', 'a', 'answer', 'log after: 202', 'id after: 202']);
  });

  it('gives around steps the rendered denial of a later step, and skips the steps after it', async () => {
    order.length = 0;
    const deny: Step = () => {
      throw new Error('no');
    };
    const res = await dispatched([aroundStep('id'), deny, aroundStep('never'), sync('never')]).request('/x');
    expect(res.status).toBe(500);
    expect(order).toEqual(['id before', 'id after: 500 no']);
  });

  it("finishes from the last step's own promise: an async answer or an async failure reaches the around steps", async () => {
    // The last step's promise passed up unwrapped (sync steps returning next()): its reaction
    // settles and finishes the walk in one go, for an answer and for a rejection alike.
    order.length = 0;
    const ok = await dispatched([aroundStep('id'), sync('a'), answersLater(order, 'late', 202)]).request(
      '/x',
    );
    expect(ok.status).toBe(202);
    expect(await ok.text()).toBe('late');
    expect(order).toEqual(['id before', 'a', 'answer', 'id after: 202']);
    order.length = 0;
    const failed = await dispatched([aroundStep('id'), sync('a'), failsLater('upstream gone')]).request('/x');
    expect(failed.status).toBe(500);
    expect(await failed.text()).toBe('error: upstream gone');
    expect(order).toEqual(['id before', 'a', 'id after: 500 upstream gone']);
  });

  it('finishes once when an asynchronous step calls next() after an await (a password check, then the proxy)', async () => {
    order.length = 0;
    const checksFirst: Step = async (_c, next) => {
      await new Promise((r) => setTimeout(r, 5));
      order.push('checked');
      return next();
    };
    const res = await dispatched([aroundStep('id'), checksFirst, answersLater(order, 'late', 202)]).request(
      '/x',
    );
    expect(res.status).toBe(202);
    expect(await res.text()).toBe('late');
    // One `after`: the step's own promise finishes the walk, the proxy's only settles it.
    expect(order).toEqual(['id before', 'checked', 'answer', 'id after: 202']);
  });

  it("runs an around step's own after when its before throws, and nothing after it", async () => {
    order.length = 0;
    const res = await dispatched([
      aroundStep('id'),
      aroundStep('log', { failBefore: true }),
      sync('never'),
    ]).request('/x');
    expect(res.status).toBe(500);
    expect(await res.text()).toBe('error: log refused');
    expect(order).toEqual([
      'id before',
      'log before',
      'log after: 500 log refused',
      'id after: 500 log refused',
    ]);
  });

  it('runs an around step as a plain Hono middleware in the same order', async () => {
    order.length = 0;
    const app = new Hono<GatewayEnv>();
    app.use(aroundStep('id'));
    app.use(aroundStep('log'));
    app.get('*', (c) => {
      order.push('answer');
      return c.text('ok', 203);
    });
    const res = await app.request('/x');
    expect(res.status).toBe(203);
    expect(order).toEqual(['id before', 'log before', 'answer', 'log after: 203', 'id after: 203']);
  });
});

describe('directFetch', () => {
  const onError = (err: Error) => new Response(`error: ${err.message}`, { status: 500 });
  const direct = (steps: Step[]) => {
    const app = new Hono<GatewayEnv>();
    app.fetch = directFetch(chain(steps, onError), onError);
    return app;
  };

  it('answers HEAD as the GET, without the body', async () => {
    const app = direct([async (c) => c.text('hello', 203, { 'x-seen': c.req.method })]);
    // app.request(): Node's server would drop a HEAD answer's body on its own.
    const res = await app.request('/x', { method: 'HEAD' });
    expect(res.status).toBe(203);
    expect(res.headers.get('x-seen')).toBe('HEAD');
    expect(await res.text()).toBe('');
  });

  it("gives c.req.path the request target's path as received, without the query", async () => {
    let seen = '';
    const app = direct([
      async (c) => {
        seen = c.req.path;
        return c.text('ok');
      },
    ]);
    const res = await nodeRequest(app, 'http://t.example/a%2Fb/%E5%B1%B1?q=1');
    expect(res.status).toBe(200);
    expect(seen).toBe('/a%2Fb/%E5%B1%B1');
  });

  it('renders what the pipeline rejects with through onError, and rethrows what is not an Error', async () => {
    // A step that resolves nothing and leaves the context unanswered is a bug the runner reports.
    const unanswered = direct([async () => undefined as unknown as Response]);
    const res = await unanswered.request('/x');
    expect(res.status).toBe(500);
    expect(await res.text()).toMatch(/^error: Context is not finalized/);
    const odd = direct([
      () => {
        throw 'not an error';
      },
    ]);
    await expect(Promise.resolve().then(() => odd.request('/x'))).rejects.toBe('not an error');
  });
});
