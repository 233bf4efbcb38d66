// What a block explorer does: connect with @polkadot/api, learn every type from the runtime's
// metadata, read pallet-bittensor's storage and decode its events. No custom type definitions.
//
//   node explorer.mjs ws://127.0.0.1:9944
// Prints one JSON object; exits non-zero if anything cannot be read or decoded.
import { ApiPromise, WsProvider } from '@polkadot/api';

const url = process.argv[2] ?? 'ws://127.0.0.1:9944';
const timeoutMs = 120_000;

const api = await ApiPromise.create({ provider: new WsProvider(url), noInitWarn: true, throwOnConnect: true });
const fail = (message) => { console.error(message); process.exit(1); };
setTimeout(() => fail(`no bittensor.EpochCompleted event within ${timeoutMs} ms`), timeoutMs);

const subnet = await api.query.bittensor.subnets(1);
if (subnet.isNone) fail('subnet 1 missing from bittensor.subnets');
const hyperparameters = subnet.unwrap();
const rank = await api.query.bittensor.rank(1);
const calls = Object.keys(api.tx.bittensor);

const unsubscribe = await api.query.system.events((records) => {
  for (const { event } of records) {
    if (api.events.bittensor.EpochCompleted.is(event)) {
      const [netuid, emitted, payout] = event.data;
      const names = event.meta.fields.map((f) => f.name.toString());
      console.log(JSON.stringify({
        tempo: hyperparameters.tempo.toNumber(),
        kappa: hyperparameters.kappa.toHuman(),
        rankLength: rank.length,
        calls,
        event: {
          section: event.section,
          method: event.method,
          fields: names,
          netuid: netuid.toNumber(),
          emitted: emitted.toString(),
          payout: payout.toString(),
        },
      }));
      unsubscribe();
      api.disconnect().then(() => process.exit(0));
      return;
    }
  }
});
