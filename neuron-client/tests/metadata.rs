//! The checked-in metadata the client's static types are generated from must be what the
//! node's runtime reports; otherwise the client would build calls the chain rejects.
//! `UPDATE_METADATA=1` rewrites the file instead (see `scripts/update-metadata.sh`).

use bittensor_e2e::{wait_for_heights, Node};
use codec::Decode;
use jsonrpsee::{core::client::ClientT, rpc_params};
use std::{path::Path, time::Duration};

/// The metadata version the client is generated from (the runtime's latest).
const VERSION: u32 = 16;

#[tokio::test]
async fn checked_in_metadata_matches_the_built_runtime() {
	let dir = tempfile::tempdir().unwrap();
	let mut node = Node::start(&["--dev", "--tmp"], dir.path(), "dev").unwrap();
	wait_for_heights(&mut node, 0, 0, Duration::from_secs(90)).await.unwrap();
	let arg = format!("0x{}", hex::encode(VERSION.to_le_bytes()));
	let result: String = node
		.rpc()
		.unwrap()
		.request("state_call", rpc_params!["Metadata_metadata_at_version", arg])
		.await
		.unwrap();
	let bytes = hex::decode(result.trim_start_matches("0x")).unwrap();
	let metadata = Option::<Vec<u8>>::decode(&mut &bytes[..])
		.unwrap()
		.unwrap_or_else(|| panic!("the runtime has no metadata v{VERSION}"));
	let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("metadata/bittensor.scale");
	if std::env::var_os("UPDATE_METADATA").is_some() {
		std::fs::write(&path, &metadata).unwrap();
		return;
	}
	let checked_in = std::fs::read(&path).unwrap();
	assert!(
		checked_in == metadata,
		"{} differs from the runtime's metadata ({} vs {} bytes): run scripts/update-metadata.sh \
		 and rebuild the client",
		path.display(),
		checked_in.len(),
		metadata.len()
	);
}
