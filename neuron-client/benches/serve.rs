//! The cost of each step of one call, per tensor shape: encode (safetensors), hash (BLAKE3),
//! sign and verify (sr25519), decode. `cargo bench -p neuron-client --bench serve`.

use criterion::{black_box, criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use neuron_client::serve::{
	protocol::{body_hash, verify, Endpoint, Hotkey, RequestHead, Signer},
	tensor::{decode, encode, Tensor},
};
use std::str::FromStr;

const SHAPES: [[usize; 3]; 3] = [[1, 16, 64], [16, 64, 256], [16, 64, 512]];

fn steps(c: &mut Criterion) {
	let uri = subxt_signer::SecretUri::from_str("//bench").unwrap();
	let signer = Signer::new(&subxt_signer::sr25519::Keypair::from_uri(&uri).unwrap());
	let mut group = c.benchmark_group("serve");
	for [b, t, d] in SHAPES {
		let n = b * t * d;
		let name = format!("{b}x{t}x{d}");
		let tensor = Tensor::f32(vec![b, t, d], (0..n).map(|i| i as f32).collect()).unwrap();
		let body = encode(&[("inputs", &tensor)]);
		group.throughput(Throughput::Bytes((n * 4) as u64));
		group.bench_with_input(BenchmarkId::new("encode", &name), &tensor, |bench, t| {
			bench.iter(|| encode(&[("inputs", black_box(t))]))
		});
		group.bench_with_input(BenchmarkId::new("hash", &name), &body, |bench, body| {
			bench.iter(|| body_hash(black_box(body)))
		});
		group.bench_with_input(BenchmarkId::new("decode", &name), &body, |bench, body| {
			bench.iter(|| decode(black_box(body), ["inputs"]).unwrap())
		});
	}
	group.throughput(Throughput::Elements(1));
	let head = RequestHead {
		endpoint: Endpoint::Forward,
		scope: Default::default(),
		caller: signer.hotkey(),
		callee: Hotkey([2; 32]),
		nonce: 1,
		request_id: [3; 16],
		deadline: 2,
		body_hash: [4; 32],
	};
	let message = head.message();
	let signature = signer.sign(&message);
	group.bench_function("sign", |bench| bench.iter(|| signer.sign(black_box(&message))));
	group.bench_function("verify", |bench| {
		bench.iter(|| assert!(verify(&signer.hotkey(), black_box(&message), &signature)))
	});
	group.finish();
}

criterion_group!(benches, steps);
criterion_main!(benches);
