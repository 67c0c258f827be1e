import { MemoryMessageStore, createMemoryStoreState } from './memory-message-store.ts';
import { runMessageStoreConformance } from './message-store.conformance.ts';

runMessageStoreConformance('MemoryMessageStore', {
  createFixture: async () => {
    const state = createMemoryStoreState();
    return {
      open: async () => new MemoryMessageStore(state),
      dispose: async () => undefined,
    };
  },
});
