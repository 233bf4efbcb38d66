//! How neurons talk: the wire protocol, the axon (server), the dendrite (client), and the
//! view of the subnet both check peers against. No tch here: tensors are shapes, dtypes and
//! bytes, so the network layer builds and runs without libtorch.

pub mod admission;
pub mod answered;
pub mod axon;
pub mod bench;
pub mod bodies;
pub mod dendrite;
pub mod http;
pub mod metrics;
pub mod protocol;
pub mod replay;
pub mod tensor;
pub mod throttle;
pub mod view;
