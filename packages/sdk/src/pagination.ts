/**
 * Cursor pages, after openai-node's `PagePromise`: `await client.results.list()` gives one page,
 * `for await (const r of client.results.list())` walks every item across cursors.
 */

/** One page of items and the cursor of the next one. */
export class Page<T> implements AsyncIterable<T> {
  readonly data: T[];
  /** `null` on the last page. */
  readonly nextCursor: string | null;
  readonly #fetchPage: (cursor: string) => Promise<Page<T>>;

  constructor(data: T[], nextCursor: string | null, fetchPage: (cursor: string) => Promise<Page<T>>) {
    this.data = data;
    this.nextCursor = nextCursor;
    this.#fetchPage = fetchPage;
  }

  /** True when another page follows. */
  hasNextPage(): boolean {
    return this.nextCursor !== null && this.nextCursor !== '';
  }

  /** Fetches the next page. @throws {Error} on the last page */
  getNextPage(): Promise<Page<T>> {
    if (!this.hasNextPage()) throw new Error('no next page');
    return this.#fetchPage(this.nextCursor as string);
  }

  /** Every page from this one on. */
  async *pages(): AsyncGenerator<Page<T>> {
    let page: Page<T> = this;
    // Bounded by the server: each page carries a fresh cursor until the last one has none.
    for (;;) {
      yield page;
      if (!page.hasNextPage()) return;
      page = await page.getNextPage();
    }
  }

  /** Every item from this page on. */
  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for await (const page of this.pages()) yield* page.data;
  }
}

/**
 * A promise of the first page that is also async-iterable over every item. The first request is
 * made lazily, on `then` or on iteration, so an unused list never fires (or rejects unhandled).
 */
export class PagePromise<T> extends Promise<Page<T>> implements AsyncIterable<T> {
  #load: () => Promise<Page<T>>;
  #first: Promise<Page<T>> | undefined;

  constructor(load: () => Promise<Page<T>>) {
    super((resolve) => resolve(undefined as unknown as Page<T>));
    this.#load = load;
  }

  // `then`/`catch`/`finally` on a subclass would otherwise build another PagePromise.
  static override get [Symbol.species]() {
    return Promise;
  }

  #page(): Promise<Page<T>> {
    this.#first ??= this.#load();
    return this.#first;
  }

  // biome-ignore lint/suspicious/noThenProperty: a Promise subclass overriding then, as openai-node's PagePromise
  override then<A = Page<T>, B = never>(
    onfulfilled?: ((value: Page<T>) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    return this.#page().then(onfulfilled, onrejected);
  }

  override catch<B = never>(onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null) {
    return this.#page().catch(onrejected);
  }

  override finally(onfinally?: (() => void) | null): Promise<Page<T>> {
    return this.#page().finally(onfinally);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    const first = await this.#page();
    yield* first;
  }
}
