// Every workflow the worker runs.
export { releasePromotion, hotfixPromotion } from './release-promotion';
export { environmentLedger } from './environment-ledger';
export { manualRollback } from './manual-rollback';
export { manualVersionRecord } from './manual-version-record';
export { environmentVerification } from './environment-verification';
