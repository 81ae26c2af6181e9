/** What every middleware factory of the pipeline is built from: one policy load and the deps. */
import type { GatewayDeps } from './deps.js';
import type { Policy } from './policy/schema.js';

export interface PipelineContext {
  policy: Policy;
  deps: GatewayDeps;
}
