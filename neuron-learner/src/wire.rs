//! Tensors between libtorch and the wire: the axon and dendrite (`neuron_client::serve`) carry
//! shapes, dtypes and bytes and know nothing of tch; these conversions are the only bridge.

use neuron_client::serve::tensor::{Data, Tensor as WireTensor};
use tch::{Kind, Tensor};

/// A wire tensor as a libtorch tensor (on the CPU).
pub fn to_tch(t: &WireTensor) -> Tensor {
	let shape: Vec<i64> = t.shape.iter().map(|&d| d as i64).collect();
	match &t.data {
		Data::F32(v) => Tensor::from_slice(v).view(shape.as_slice()),
		Data::I64(v) => Tensor::from_slice(v).view(shape.as_slice()),
		Data::F16(v) => Tensor::from_slice(v).view(shape.as_slice()),
		Data::BF16(v) => Tensor::from_slice(v).view(shape.as_slice()),
	}
}

fn shape_of(t: &Tensor) -> Vec<usize> {
	t.size().iter().map(|&d| d as usize).collect()
}

/// A libtorch tensor as an F32 wire tensor.
pub fn to_wire_f32(t: &Tensor) -> Option<WireTensor> {
	let t = t.to_device(tch::Device::Cpu).to_kind(Kind::Float).contiguous();
	let n = t.numel();
	let mut data = vec![0f32; n];
	t.f_copy_data(&mut data, n).ok()?;
	WireTensor::f32(shape_of(&t), data)
}

/// A libtorch tensor as an I64 wire tensor (token ids).
pub fn to_wire_i64(t: &Tensor) -> Option<WireTensor> {
	let t = t.to_device(tch::Device::Cpu).to_kind(Kind::Int64).contiguous();
	let n = t.numel();
	let mut data = vec![0i64; n];
	t.f_copy_data(&mut data, n).ok()?;
	WireTensor::i64(shape_of(&t), data)
}
