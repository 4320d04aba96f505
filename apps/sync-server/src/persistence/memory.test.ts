import { MemoryStore } from './memory.js'
import { describeStoreContract } from './store.contract.js'

describeStoreContract('memory', async () => new MemoryStore())
