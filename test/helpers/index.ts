/** Shared helpers of the end-to-end tests: a real gateway, an echo upstream, raw requests, credentials. */
export { basic, cheapHash } from './credentials.js';
export { type EchoOptions, type EchoRecord, type EchoUpstream, startEchoUpstream } from './echo.js';
export {
  defaultTenants,
  proxyTenants,
  startTestGateway,
  type TestGateway,
  type TestGatewayOptions,
  testCertificate,
} from './gateway.js';
export { httpRequest, httpsRequest, type RawRequest, type RawResponse } from './request.js';
