export * from '../../scripts/lib/local-registry';
