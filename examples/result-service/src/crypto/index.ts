/** Encryption at rest: master key, per-tenant keyring, sealed fields and lookup hashes. */
export { type DestroyedKey, Keyring, type KeyringOptions, type TenantKeys } from './keyring.js';
export {
  createKeyFile,
  loadMasterKey,
  type MasterKeySource,
  masterKeyId,
  parseKey,
  readKeyFile,
} from './master-key.js';
export { RowCipher, SealedDataError } from './row-cipher.js';
