// Generated from examples/result-service/openapi.json by test/openapi/generate.ts: do not edit.
export interface paths {
  '/results': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** List the tenant's results in creation order, a page at a time */
    get: operations['listResults'];
    put?: never;
    /** Send one result */
    post: operations['sendResult'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/results/batch': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Send up to 1000 results; each item gets its own outcome */
    post: operations['sendResults'];
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/results/by-external-id/{externalId}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** One result by the integrator's own key */
    get: operations['getResultByExternalId'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/results/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** One result by its id */
    get: operations['getResult'];
    put?: never;
    post?: never;
    /** Withdraw a result: recipients no longer see it (again: the same answer) */
    delete: operations['withdrawResult'];
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/results/{id}/status': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** The current status and the time of each step */
    get: operations['getResultStatus'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/openapi.json': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** This document */
    get: operations['getOpenApi'];
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
}
export interface webhooks {
  resultStatus: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * A status change (`result.published`, `.notified`, `.viewed`, `.withdrawn`, `.expired`, `.failed`), signed per Standard Webhooks
     * @description `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">` with the bytes of the tenant's `whsec_…` secret. Answer 2xx; anything else is retried (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h).
     */
    post: {
      parameters: {
        query?: never;
        header: {
          'webhook-id': string;
          'webhook-timestamp': string;
          'webhook-signature': string;
        };
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': components['schemas']['StatusEvent'];
        };
      };
      responses: {
        /** @description Received */
        204: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  recipientNotify: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /** Tell a recipient their result is published (tenants that notify through their own system) */
    post: {
      parameters: {
        query?: never;
        header: {
          'webhook-id': string;
          'webhook-timestamp': string;
          'webhook-signature': string;
        };
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': components['schemas']['RecipientNotifyEvent'];
        };
      };
      responses: {
        /** @description Received */
        204: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
}
export interface components {
  schemas: {
    /** @description Any JSON value */
    JsonValue: unknown;
    Recipient: {
      /** @description The integrator's id for the person (exam number, employee id) */
      id: string;
      name?: string;
      email?: string;
    };
    Result: {
      /** @description The service id, `res_…` */
      id: string;
      /** @description The integrator's own key, unique per tenant */
      externalId: string;
      recipient: components['schemas']['Recipient'];
      title: string;
      outcome: string;
      details:
        | string
        | {
            [key: string]: components['schemas']['JsonValue'];
          };
      /**
       * Format: date-time
       * @description UTC ISO 8601 date-time
       */
      publishAt: string;
      expiresAt: string | null;
      /** @enum {string} */
      status: 'scheduled' | 'published' | 'notified' | 'viewed' | 'withdrawn' | 'expired' | 'failed';
      /**
       * Format: date-time
       * @description UTC ISO 8601 date-time
       */
      createdAt: string;
      /**
       * Format: date-time
       * @description UTC ISO 8601 date-time
       */
      updatedAt: string;
      publishedAt: string | null;
      notifiedAt: string | null;
      viewedAt: string | null;
      withdrawnAt: string | null;
      expiredAt: string | null;
      failedAt: string | null;
      /** @description Why the last notification failed */
      lastError: string | null;
    };
    CreatedResult: {
      /** @description The service id, `res_…` */
      id: string;
      /** @description The integrator's own key, unique per tenant */
      externalId: string;
      recipient: components['schemas']['Recipient'];
      title: string;
      outcome: string;
      details:
        | string
        | {
            [key: string]: components['schemas']['JsonValue'];
          };
      /**
       * Format: date-time
       * @description UTC ISO 8601 date-time
       */
      publishAt: string;
      expiresAt: string | null;
      /** @enum {string} */
      status: 'scheduled' | 'published' | 'notified' | 'viewed' | 'withdrawn' | 'expired' | 'failed';
      /**
       * Format: date-time
       * @description UTC ISO 8601 date-time
       */
      createdAt: string;
      /**
       * Format: date-time
       * @description UTC ISO 8601 date-time
       */
      updatedAt: string;
      publishedAt: string | null;
      notifiedAt: string | null;
      viewedAt: string | null;
      withdrawnAt: string | null;
      expiredAt: string | null;
      failedAt: string | null;
      /** @description Why the last notification failed */
      lastError: string | null;
      /** @description Print it on the recipient letter; shown only in this answer */
      accessCode: string;
      /** @description Shown only in this answer; stored only as a keyed hash */
      pin: string;
    };
    ValidationIssue: {
      /** @description e.g. `recipient.email` or `items[3].title`; `(body)` for the whole body */
      path: string;
      message: string;
    };
    Error: {
      error: {
        /** @description e.g. `validation_failed`, `duplicate_external_id`, `not_found` */
        code: string;
        message: string;
        /** @description The X-Request-Id: quote it to the operator */
        requestId: string;
        issues?: components['schemas']['ValidationIssue'][];
      };
    };
    DryRunResult: {
      /** @constant */
      dryRun: true;
      result: {
        externalId: string;
        recipient: {
          id: string;
          name?: string;
          /** Format: email */
          email?: string;
        };
        title: string;
        outcome: string;
        details:
          | string
          | {
              [key: string]: components['schemas']['JsonValue'];
            };
        /**
         * Format: date-time
         * @description UTC ISO 8601 date-time
         */
        publishAt: string;
        expiresAt: string | null;
        /** @constant */
        status: 'scheduled';
      };
    };
    BatchItemOutcome: {
      index: number;
      externalId: string | null;
      /**
       * @description `accepted`: stored now; `duplicate`: a result with this externalId and identical content exists (it is `result`); `rejected`: see `reason` and `issues`
       * @enum {string}
       */
      outcome: 'accepted' | 'duplicate' | 'rejected';
      /** @description The new result (with accessCode and PIN) or the stored one; absent on dry runs */
      result?: components['schemas']['CreatedResult'] | components['schemas']['Result'];
      /**
       * @description Why the item was rejected
       * @enum {string}
       */
      reason?: 'validation_failed' | 'duplicate_external_id';
      issues?: components['schemas']['ValidationIssue'][];
    };
    BatchResponse: {
      /** @constant */
      dryRun?: true;
      summary: {
        accepted: number;
        duplicate: number;
        rejected: number;
      };
      items: components['schemas']['BatchItemOutcome'][];
    };
    ResultPage: {
      data: components['schemas']['Result'][];
      /** @description Pass as `cursor` for the next page; null on the last */
      nextCursor: string | null;
    };
    ResultStatus: {
      id: string;
      externalId: string;
      /** @enum {string} */
      status: 'scheduled' | 'published' | 'notified' | 'viewed' | 'withdrawn' | 'expired' | 'failed';
      steps: {
        /** @enum {string} */
        status: 'scheduled' | 'published' | 'notified' | 'viewed' | 'withdrawn' | 'expired' | 'failed';
        /**
         * Format: date-time
         * @description UTC ISO 8601 date-time
         */
        at: string;
        /** @description e.g. the error of a failed notification */
        detail?: string;
      }[];
      notifyAttempts: number;
      lastError: string | null;
    };
    StatusEvent: {
      /** @enum {string} */
      type:
        | 'result.published'
        | 'result.notified'
        | 'result.viewed'
        | 'result.withdrawn'
        | 'result.expired'
        | 'result.failed';
      /**
       * Format: date-time
       * @description UTC ISO 8601 date-time
       */
      timestamp: string;
      data: {
        id: string;
        externalId: string;
        /** @enum {string} */
        status: 'scheduled' | 'published' | 'notified' | 'viewed' | 'withdrawn' | 'expired' | 'failed';
        /**
         * Format: date-time
         * @description UTC ISO 8601 date-time
         */
        at: string;
        /** @description For `result.failed`: why */
        error?: string;
      };
    };
    RecipientNotifyEvent: {
      /** @constant */
      type: 'recipient.notify';
      /**
       * Format: date-time
       * @description UTC ISO 8601 date-time
       */
      timestamp: string;
      data: {
        resultId: string;
        externalId: string;
        recipient: components['schemas']['Recipient'];
        subject: string;
        /** @description The ja/en notification text, with the link */
        text: string;
        /** @description The recipient page */
        url: string;
      };
    };
    ResultInput: {
      externalId: string;
      recipient: {
        id: string;
        name?: string;
        /** Format: email */
        email?: string;
      };
      title: string;
      outcome: string;
      /** @default {} */
      details:
        | string
        | {
            [key: string]: components['schemas']['JsonValue'];
          };
      /** Format: date-time */
      publishAt?: string;
      /** Format: date-time */
      expiresAt?: string;
    };
    BatchRequest: {
      /** @description Each item a ResultInput, validated on its own */
      items: components['schemas']['ResultInput'][];
    };
  };
  responses: never;
  parameters: never;
  requestBodies: never;
  headers: never;
  pathItems: never;
}
export type $defs = Record<string, never>;
export interface operations {
  listResults: {
    parameters: {
      query?: {
        status?: 'scheduled' | 'published' | 'notified' | 'viewed' | 'withdrawn' | 'expired' | 'failed';
        since?: string;
        cursor?: string;
        limit?: number;
      };
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description A page */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ResultPage'];
        };
      };
      /** @description A refusal: `{ error: { code, message, requestId, issues? } }` */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description A refusal: `{ error: { code, message, requestId, issues? } }` */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description A refusal: `{ error: { code, message, requestId, issues? } }` */
      422: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description A refusal: `{ error: { code, message, requestId, issues? } }` */
      default: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  sendResult: {
    parameters: {
      query?: {
        /** @description Validate only: nothing is stored. */
        dryRun?: 'true' | '1';
      };
      header?: {
        /** @description Makes retries of one request safe: the same key and body within 24 h answer the first answer again (`Idempotent-Replayed: true`); the same key with another body is `422 idempotency_key_reused`; while the first runs, `409 idempotency_in_progress`. */
        'Idempotency-Key'?: string;
      };
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['ResultInput'];
      };
    };
    responses: {
      /** @description Identical content was stored before: that result (no code or PIN); or a dry run */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Result'] | components['schemas']['DryRunResult'];
        };
      };
      /** @description Stored now: the result with its access code and PIN (shown only here) */
      201: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['CreatedResult'];
        };
      };
      /** @description A refusal: `{ error: { code, message, requestId, issues? } }` */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description A refusal: `{ error: { code, message, requestId, issues? } }` */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description A refusal: `{ error: { code, message, requestId, issues? } }` */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description A refusal: `{ error: { code, message, requestId, issues? } }` */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description A refusal: `{ error: { code, message, requestId, issues? } }` */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description A refusal: `{ error: { code, message, requestId, issues? } }` */
      422: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description A refusal: `{ error: { code, message, requestId, issues? } }` */
      429: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description A refusal: `{ error: { code, message, requestId, issues? } }` */
      503: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description A refusal: `{ error: { code, message, requestId, issues? } }` */
      default: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  sendResults: {
    parameters: {
      query?: {
        /** @description Validate only: nothing is stored. */
        dryRun?: 'true' | '1';
      };
      header?: {
        /** @description Makes retries of one request safe: the same key and body within 24 h answer the first answer again (`Idempotent-Replayed: true`); the same key with another body is `422 idempotency_key_reused`; while the first runs, `409 idempotency_in_progress`. */
        'Idempotency-Key'?: string;
      };
      path?: never;
      cookie?: never;
    };
    requestBody: {
      content: {
        'application/json': components['schemas']['BatchRequest'];
      };
    };
    responses: {
      /** @description One outcome per item, in order */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['BatchResponse'];
        };
      };
      /** @description A refusal: `{ error: { code, message, requestId, issues? } }` */
      400: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description A refusal: `{ error: { code, message, requestId, issues? } }` */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description A refusal: `{ error: { code, message, requestId, issues? } }` */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description A refusal: `{ error: { code, message, requestId, issues? } }` */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description A refusal: `{ error: { code, message, requestId, issues? } }` */
      413: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description A refusal: `{ error: { code, message, requestId, issues? } }` */
      422: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description A refusal: `{ error: { code, message, requestId, issues? } }` */
      default: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  getResultByExternalId: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        externalId: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The result */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Result'];
        };
      };
      /** @description A refusal: `{ error: { code, message, requestId, issues? } }` */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description A refusal: `{ error: { code, message, requestId, issues? } }` */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description A refusal: `{ error: { code, message, requestId, issues? } }` */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description A refusal: `{ error: { code, message, requestId, issues? } }` */
      default: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  getResult: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The result */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Result'];
        };
      };
      /** @description A refusal: `{ error: { code, message, requestId, issues? } }` */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description A refusal: `{ error: { code, message, requestId, issues? } }` */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description A refusal: `{ error: { code, message, requestId, issues? } }` */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description A refusal: `{ error: { code, message, requestId, issues? } }` */
      default: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  withdrawResult: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description The withdrawn result */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Result'];
        };
      };
      /** @description A refusal: `{ error: { code, message, requestId, issues? } }` */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description A refusal: `{ error: { code, message, requestId, issues? } }` */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description A refusal: `{ error: { code, message, requestId, issues? } }` */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description A refusal: `{ error: { code, message, requestId, issues? } }` */
      409: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description A refusal: `{ error: { code, message, requestId, issues? } }` */
      default: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  getResultStatus: {
    parameters: {
      query?: never;
      header?: never;
      path: {
        id: string;
      };
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description Status and history */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['ResultStatus'];
        };
      };
      /** @description A refusal: `{ error: { code, message, requestId, issues? } }` */
      401: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description A refusal: `{ error: { code, message, requestId, issues? } }` */
      403: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description A refusal: `{ error: { code, message, requestId, issues? } }` */
      404: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
      /** @description A refusal: `{ error: { code, message, requestId, issues? } }` */
      default: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': components['schemas']['Error'];
        };
      };
    };
  };
  getOpenApi: {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    requestBody?: never;
    responses: {
      /** @description OpenAPI 3.1 */
      200: {
        headers: {
          [name: string]: unknown;
        };
        content: {
          'application/json': unknown;
        };
      };
    };
  };
}
