//! Tensors on the wire: the safetensors format (an 8-byte little-endian header length, a JSON
//! header naming each tensor's dtype, shape and byte range, then the raw little-endian data).
//! Only the header is text; tensor data is never JSON. Any other safetensors implementation
//! (Python's `safetensors.torch.load`, for one) reads and writes these bodies.

use half::slice::HalfFloatSliceExt;
pub use half::{bf16, f16};
use safetensors::{tensor::TensorView, Dtype, SafeTensors, View};
use std::borrow::Cow;

/// Element types a neuron exchanges: token ids, and representations or gradients in one of
/// three floating-point types (the serving neuron picks the one its answers travel in).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DType {
	/// 32-bit float (`F32`).
	F32,
	/// 64-bit signed integer (`I64`).
	I64,
	/// IEEE 754 half precision (`F16`): 2 bytes, 11 significant bits, largest finite 65504.
	F16,
	/// bfloat16 (`BF16`): 2 bytes, F32's range with 8 significant bits.
	BF16,
}

impl DType {
	fn safetensors(self) -> Dtype {
		match self {
			DType::F32 => Dtype::F32,
			DType::I64 => Dtype::I64,
			DType::F16 => Dtype::F16,
			DType::BF16 => Dtype::BF16,
		}
	}

	/// The name safetensors gives it.
	pub fn name(self) -> &'static str {
		match self {
			DType::F32 => "F32",
			DType::I64 => "I64",
			DType::F16 => "F16",
			DType::BF16 => "BF16",
		}
	}

	/// Whether it holds representations or gradients (a floating-point type).
	pub fn is_float(self) -> bool {
		!matches!(self, DType::I64)
	}

	/// Bytes per element.
	pub fn size(self) -> usize {
		match self {
			DType::I64 => 8,
			DType::F32 => 4,
			DType::F16 | DType::BF16 => 2,
		}
	}

	/// The floating-point type named `f32`, `f16` or `bf16` (any case), as `--wire-dtype`
	/// takes it.
	pub fn parse_float(name: &str) -> Result<Self, String> {
		match name.to_ascii_lowercase().as_str() {
			"f32" => Ok(DType::F32),
			"f16" => Ok(DType::F16),
			"bf16" => Ok(DType::BF16),
			_ => Err(format!("`{name}` is not a wire dtype: expected f32, f16 or bf16")),
		}
	}
}

impl std::fmt::Display for DType {
	fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
		f.write_str(self.name())
	}
}

/// A tensor's elements, row-major.
#[derive(Clone, Debug, PartialEq)]
pub enum Data {
	/// `F32` elements.
	F32(Vec<f32>),
	/// `I64` elements.
	I64(Vec<i64>),
	/// `F16` elements.
	F16(Vec<f16>),
	/// `BF16` elements.
	BF16(Vec<bf16>),
}

/// A dense tensor: a shape and its elements in row-major order.
#[derive(Clone, Debug, PartialEq)]
pub struct Tensor {
	/// Dimensions, outermost first.
	pub shape: Vec<usize>,
	/// Elements; their count is the product of `shape`.
	pub data: Data,
}

/// Why a body is not a valid set of tensors.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CodecError {
	/// Not parseable as safetensors.
	#[error("not a safetensors body: {0}")]
	Format(String),
	/// A tensor the endpoint needs is missing.
	#[error("the body has no tensor named `{0}`")]
	Missing(&'static str),
	/// A tensor the endpoint does not take.
	#[error("the body has a tensor named `{0}`, which this endpoint does not take")]
	Unexpected(String),
	/// Dtype other than F32, F16, BF16 or I64.
	#[error("tensor `{name}` has dtype {dtype}; only F32, F16, BF16 and I64 are exchanged")]
	UnsupportedDtype {
		/// Its name.
		name: String,
		/// Its dtype as safetensors names it.
		dtype: String,
	},
	/// Shape whose element count overflows or disagrees with the data.
	#[error("tensor `{0}` has a shape that does not match its data")]
	BadShape(String),
}

impl Tensor {
	/// An `F32` tensor; `None` when `data` does not have `shape`'s element count.
	pub fn f32(shape: Vec<usize>, data: Vec<f32>) -> Option<Self> {
		(element_count(&shape) == Some(data.len())).then_some(Self { shape, data: Data::F32(data) })
	}

	/// An `I64` tensor; `None` when `data` does not have `shape`'s element count.
	pub fn i64(shape: Vec<usize>, data: Vec<i64>) -> Option<Self> {
		(element_count(&shape) == Some(data.len())).then_some(Self { shape, data: Data::I64(data) })
	}

	/// An `F16` tensor; `None` when `data` does not have `shape`'s element count.
	pub fn f16(shape: Vec<usize>, data: Vec<f16>) -> Option<Self> {
		(element_count(&shape) == Some(data.len())).then_some(Self { shape, data: Data::F16(data) })
	}

	/// A `BF16` tensor; `None` when `data` does not have `shape`'s element count.
	pub fn bf16(shape: Vec<usize>, data: Vec<bf16>) -> Option<Self> {
		(element_count(&shape) == Some(data.len()))
			.then_some(Self { shape, data: Data::BF16(data) })
	}

	/// An `F32` tensor of zeros.
	pub fn zeros_f32(shape: Vec<usize>) -> Self {
		let n = element_count(&shape).unwrap_or(0);
		Self { shape, data: Data::F32(vec![0.0; n]) }
	}

	/// Its element type.
	pub fn dtype(&self) -> DType {
		match self.data {
			Data::F32(_) => DType::F32,
			Data::I64(_) => DType::I64,
			Data::F16(_) => DType::F16,
			Data::BF16(_) => DType::BF16,
		}
	}

	/// Its `F32` elements, if it has that type.
	pub fn as_f32(&self) -> Option<&[f32]> {
		match &self.data {
			Data::F32(v) => Some(v),
			_ => None,
		}
	}

	/// Its `I64` elements, if it has that type.
	pub fn as_i64(&self) -> Option<&[i64]> {
		match &self.data {
			Data::I64(v) => Some(v),
			_ => None,
		}
	}

	/// Its elements as `F32` (exact for `F16` and `BF16`: every value of theirs is one of
	/// F32's); `None` for token ids.
	pub fn to_f32(&self) -> Option<Tensor> {
		let values = match &self.data {
			Data::F32(v) => v.clone(),
			Data::F16(v) => widened(v),
			Data::BF16(v) => widened(v),
			Data::I64(_) => return None,
		};
		Some(Tensor { shape: self.shape.clone(), data: Data::F32(values) })
	}

	/// [`Tensor::to_f32`], without a copy when it already is `F32`; `Err(self)` for token ids.
	pub fn into_f32(self) -> Result<Tensor, Tensor> {
		match self.data {
			Data::F32(_) => Ok(self),
			Data::I64(_) => Err(self),
			_ => self.to_f32().ok_or(self),
		}
	}

	/// The same values in floating-point type `dtype`, rounded to nearest (ties to even).
	/// Finite values beyond its range saturate at its largest finite value (±65504 for `F16`)
	/// instead of becoming infinite (an answer stays finite, as the protocol requires). `None` for token ids or an integer
	/// `dtype`. (A tensor already of `dtype` is copied: see [`Tensor::into_dtype`].)
	pub fn to_dtype(&self, dtype: DType) -> Option<Tensor> {
		if !dtype.is_float() || !self.dtype().is_float() {
			return None;
		}
		if self.dtype() == dtype {
			return Some(self.clone());
		}
		if dtype == DType::F32 {
			return self.to_f32();
		}
		let wide;
		let values = match &self.data {
			Data::F32(v) => v.as_slice(),
			_ => {
				wide = self.to_f32()?;
				wide.as_f32()?
			},
		};
		let data = match dtype {
			DType::F16 => Data::F16(narrowed(values, f16::MAX.to_f32(), f16::ZERO)),
			// Only the largest F32 values (≥ 3.39e38) round past BF16's range.
			DType::BF16 => Data::BF16(narrowed(values, bf16::MAX.to_f32(), bf16::ZERO)),
			DType::F32 | DType::I64 => return None,
		};
		Some(Tensor { shape: self.shape.clone(), data })
	}

	/// [`Tensor::to_dtype`], without a copy when it already is of `dtype`; `Err(self)` when
	/// it cannot be converted (token ids, or an integer `dtype`).
	pub fn into_dtype(self, dtype: DType) -> Result<Tensor, Tensor> {
		if self.dtype() == dtype {
			return Ok(self);
		}
		self.to_dtype(dtype).ok_or(self)
	}

	/// Whether every element is finite (token ids always are).
	pub fn is_finite(&self) -> bool {
		match &self.data {
			Data::F32(v) => all_finite(v),
			Data::I64(_) => true,
			// All exponent bits set is infinity or NaN (branch-free, so that it vectorises).
			Data::F16(v) => v.iter().fold(true, |ok, x| ok & (x.to_bits() & 0x7c00 != 0x7c00)),
			Data::BF16(v) => v.iter().fold(true, |ok, x| ok & (x.to_bits() & 0x7f80 != 0x7f80)),
		}
	}

	/// Bytes of its data on the wire.
	pub fn byte_len(&self) -> usize {
		let n = match &self.data {
			Data::F32(v) => v.len(),
			Data::I64(v) => v.len(),
			Data::F16(v) => v.len(),
			Data::BF16(v) => v.len(),
		};
		n * self.dtype().size()
	}

	fn le_bytes(&self) -> Cow<'_, [u8]> {
		// On little-endian machines the in-memory layout already is the wire layout.
		#[cfg(target_endian = "little")]
		{
			match &self.data {
				Data::F32(v) => Cow::Borrowed(as_bytes(v)),
				Data::I64(v) => Cow::Borrowed(as_bytes(v)),
				Data::F16(v) => Cow::Borrowed(as_bytes(v)),
				Data::BF16(v) => Cow::Borrowed(as_bytes(v)),
			}
		}
		#[cfg(not(target_endian = "little"))]
		{
			match &self.data {
				Data::F32(v) => Cow::Owned(v.iter().flat_map(|x| x.to_le_bytes()).collect()),
				Data::I64(v) => Cow::Owned(v.iter().flat_map(|x| x.to_le_bytes()).collect()),
				Data::F16(v) => Cow::Owned(v.iter().flat_map(|x| x.to_le_bytes()).collect()),
				Data::BF16(v) => Cow::Owned(v.iter().flat_map(|x| x.to_le_bytes()).collect()),
			}
		}
	}
}

/// F16 or BF16 values as F32 (exact).
fn widened<T: Copy>(values: &[T]) -> Vec<f32>
where
	[T]: HalfFloatSliceExt,
{
	let mut out = vec![0f32; values.len()];
	values.convert_to_f32_slice(&mut out);
	out
}

/// F32 values in a half type whose largest finite value is `limit`, rounded to nearest (ties
/// to even). Finite values are clamped to ±`limit` first: rounding would send those past it to
/// infinity, and an answer must stay finite. Infinities and NaN stay what they are.
fn narrowed<T: Copy>(values: &[f32], limit: f32, zero: T) -> Vec<T>
where
	[T]: HalfFloatSliceExt,
{
	let mut out = vec![zero; values.len()];
	let mut clamped = [0f32; 1024];
	for (out, values) in out.chunks_mut(clamped.len()).zip(values.chunks(clamped.len())) {
		let clamped = &mut clamped[..values.len()];
		for (c, v) in clamped.iter_mut().zip(values) {
			*c = if v.is_finite() { v.clamp(-limit, limit) } else { *v };
		}
		out.convert_from_f32_slice(clamped);
	}
	out
}

/// The product of `shape`, `None` on overflow.
pub fn element_count(shape: &[usize]) -> Option<usize> {
	shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d))
}

#[cfg(target_endian = "little")]
fn as_bytes<T: Copy>(values: &[T]) -> &[u8] {
	// SAFETY: f32, i64, f16 and bf16 have no padding and every bit pattern is a valid u8; the slice
	// covers exactly the values' memory.
	unsafe {
		std::slice::from_raw_parts(values.as_ptr().cast::<u8>(), std::mem::size_of_val(values))
	}
}

/// Little-endian bytes as numbers (whose every bit pattern is valid): one copy.
trait FromLe: Copy {
	const SIZE: usize;
	#[cfg_attr(target_endian = "little", allow(dead_code))]
	fn from_le_slice(bytes: &[u8]) -> Self;
}

impl FromLe for f32 {
	const SIZE: usize = 4;
	fn from_le_slice(b: &[u8]) -> Self {
		f32::from_le_bytes([b[0], b[1], b[2], b[3]])
	}
}

impl FromLe for i64 {
	const SIZE: usize = 8;
	fn from_le_slice(b: &[u8]) -> Self {
		i64::from_le_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]])
	}
}

impl FromLe for f16 {
	const SIZE: usize = 2;
	fn from_le_slice(b: &[u8]) -> Self {
		f16::from_le_bytes([b[0], b[1]])
	}
}

impl FromLe for bf16 {
	const SIZE: usize = 2;
	fn from_le_slice(b: &[u8]) -> Self {
		bf16::from_le_bytes([b[0], b[1]])
	}
}

fn from_le<T: FromLe>(bytes: &[u8]) -> Vec<T> {
	let n = bytes.len() / T::SIZE;
	#[cfg(target_endian = "little")]
	{
		let mut out = Vec::<T>::with_capacity(n);
		// SAFETY: `out` has room for n values = n·SIZE bytes, all of which are written before
		// the length is set; f32, i64, f16 and bf16 accept any bit pattern, and on little-endian machines
		// memory order is wire order. The source may be unaligned, which a byte copy allows.
		unsafe {
			std::ptr::copy_nonoverlapping(
				bytes.as_ptr(),
				out.as_mut_ptr().cast::<u8>(),
				n * T::SIZE,
			);
			out.set_len(n);
		}
		out
	}
	#[cfg(not(target_endian = "little"))]
	{
		bytes.chunks_exact(T::SIZE).map(T::from_le_slice).collect()
	}
}

/// Whether every value is finite; branch-free so that it vectorises.
pub fn all_finite(values: &[f32]) -> bool {
	values.chunks(1024).all(|chunk| chunk.iter().fold(true, |ok, v| ok & v.is_finite()))
}

struct Named<'a>(&'a Tensor);

impl View for Named<'_> {
	fn dtype(&self) -> Dtype {
		self.0.dtype().safetensors()
	}
	fn shape(&self) -> &[usize] {
		&self.0.shape
	}
	fn data(&self) -> Cow<'_, [u8]> {
		self.0.le_bytes()
	}
	fn data_len(&self) -> usize {
		self.0.byte_len()
	}
}

/// Encodes named tensors as one safetensors body.
pub fn encode(tensors: &[(&str, &Tensor)]) -> Vec<u8> {
	let views = tensors.iter().map(|(name, tensor)| (*name, Named(tensor)));
	// Serialising only fails for headers over 100 MB or inconsistent shapes, which `Tensor`'s
	// constructors rule out; an empty body then fails to decode on the other side.
	safetensors::serialize(views, None).unwrap_or_default()
}

/// Decodes a safetensors body holding exactly the tensors named in `names`, in that order.
pub fn decode<const N: usize>(
	body: &[u8],
	names: [&'static str; N],
) -> Result<[Tensor; N], CodecError> {
	let parsed = SafeTensors::deserialize(body).map_err(|e| CodecError::Format(e.to_string()))?;
	for name in parsed.names() {
		if !names.contains(&name) {
			return Err(CodecError::Unexpected(name.chars().take(64).collect()));
		}
	}
	let mut out = Vec::with_capacity(N);
	for name in names {
		let view = parsed.tensor(name).map_err(|_| CodecError::Missing(name))?;
		out.push(from_view(name, &view)?);
	}
	out.try_into().map_err(|_| CodecError::Missing(names[0]))
}

fn from_view(name: &str, view: &TensorView<'_>) -> Result<Tensor, CodecError> {
	let shape = view.shape().to_vec();
	let bytes = view.data();
	let count = element_count(&shape).ok_or_else(|| CodecError::BadShape(name.into()))?;
	let tensor = match view.dtype() {
		Dtype::F32 if bytes.len() == count * 4 => Tensor { shape, data: Data::F32(from_le(bytes)) },
		Dtype::I64 if bytes.len() == count * 8 => Tensor { shape, data: Data::I64(from_le(bytes)) },
		Dtype::F16 if bytes.len() == count * 2 => Tensor { shape, data: Data::F16(from_le(bytes)) },
		Dtype::BF16 if bytes.len() == count * 2 => {
			Tensor { shape, data: Data::BF16(from_le(bytes)) }
		},
		Dtype::F32 | Dtype::I64 | Dtype::F16 | Dtype::BF16 => {
			return Err(CodecError::BadShape(name.into()))
		},
		other => {
			return Err(CodecError::UnsupportedDtype {
				name: name.into(),
				dtype: format!("{other:?}"),
			})
		},
	};
	Ok(tensor)
}

#[cfg(test)]
mod tests {
	use super::*;
	use proptest::prelude::*;

	fn shape_strategy() -> impl Strategy<Value = Vec<usize>> {
		prop::collection::vec(0usize..6, 0..4)
	}

	proptest! {
		#[test]
		fn f32_round_trips_bit_exactly(shape in shape_strategy(), seed in any::<u64>()) {
			let n = element_count(&shape).unwrap();
			// Arbitrary bit patterns, NaN payloads and infinities included.
			let data: Vec<f32> = (0..n as u64)
				.map(|i| f32::from_bits((seed ^ i.wrapping_mul(0x9e37_79b9_7f4a_7c15)) as u32))
				.collect();
			let t = Tensor::f32(shape, data).unwrap();
			let body = encode(&[("outputs", &t)]);
			let [back] = decode(&body, ["outputs"]).unwrap();
			prop_assert_eq!(&back.shape, &t.shape);
			let bits = |x: &Tensor| x.as_f32().unwrap().iter().map(|v| v.to_bits()).collect::<Vec<_>>();
			prop_assert_eq!(bits(&back), bits(&t));
		}

		#[test]
		fn i64_and_f32_pairs_round_trip(tokens in prop::collection::vec(any::<i64>(), 0..40), grads in prop::collection::vec(any::<f32>(), 0..40)) {
			let a = Tensor::i64(vec![tokens.len()], tokens).unwrap();
			let b = Tensor::f32(vec![1, grads.len()], grads).unwrap();
			let body = encode(&[("inputs", &a), ("grads", &b)]);
			let [x, y] = decode(&body, ["inputs", "grads"]).unwrap();
			prop_assert_eq!(x, a);
			prop_assert_eq!(y.as_f32().unwrap().iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
				b.as_f32().unwrap().iter().map(|v| v.to_bits()).collect::<Vec<_>>());
		}

		#[test]
		fn any_bytes_give_an_error_never_a_panic(body in prop::collection::vec(any::<u8>(), 0..512)) {
			let _ = decode(&body, ["inputs"]);
			let _ = decode(&body, ["inputs", "grads"]);
		}

		#[test]
		fn corrupted_valid_bodies_never_panic(flip in any::<(usize, u8)>(), cut in any::<usize>()) {
			let t = Tensor::f32(vec![2, 3], vec![1.0; 6]).unwrap();
			let mut body = encode(&[("inputs", &t)]);
			let i = flip.0 % body.len();
			body[i] ^= flip.1;
			let _ = decode(&body, ["inputs"]);
			body.truncate(cut % (body.len() + 1));
			let _ = decode(&body, ["inputs"]);
		}
	}

	#[test]
	fn missing_and_unexpected_tensors_are_named() {
		let t = Tensor::i64(vec![1], vec![3]).unwrap();
		let body = encode(&[("inputs", &t)]);
		assert_eq!(decode(&body, ["grads"]).unwrap_err(), CodecError::Unexpected("inputs".into()));
		assert_eq!(decode(&body, ["inputs", "grads"]).unwrap_err(), CodecError::Missing("grads"));
	}

	#[test]
	fn half_precision_round_trips_and_converts() {
		let wide = Tensor::f32(vec![2, 3], vec![1.0, -2.5, 0.1, 1e6, -1e6, 3.0e-8]).unwrap();
		for dtype in [DType::F16, DType::BF16] {
			let narrow = wide.to_dtype(dtype).unwrap();
			assert_eq!(narrow.dtype(), dtype);
			assert_eq!(narrow.byte_len(), 12);
			let body = encode(&[("outputs", &narrow)]);
			let [back] = decode(&body, ["outputs"]).unwrap();
			assert_eq!(back, narrow, "{dtype} must round-trip bit-exactly");
			let again = back.to_f32().unwrap();
			let values = again.as_f32().unwrap();
			assert!(again.is_finite(), "{dtype}: {values:?}");
			assert_eq!(values[0], 1.0);
			assert_eq!(values[1], -2.5);
			// Converting back and forth again changes nothing: the wire value is exact.
			assert_eq!(again.to_dtype(dtype).unwrap(), narrow);
		}
		let f16 = wide.to_dtype(DType::F16).unwrap().to_f32().unwrap();
		// Beyond F16's range: saturated, not infinite.
		assert_eq!(f16.as_f32().unwrap()[3], 65504.0);
		assert_eq!(f16.as_f32().unwrap()[4], -65504.0);
		let bf16 = wide.to_dtype(DType::BF16).unwrap().to_f32().unwrap();
		assert!((bf16.as_f32().unwrap()[3] - 1e6).abs() < 1e6 / 128.0);
		let huge = Tensor::f32(vec![2], vec![f32::MAX, -f32::MAX]).unwrap();
		assert!(huge.to_dtype(DType::BF16).unwrap().is_finite(), "BF16 saturates too");
		let nan = Tensor::f32(vec![1], vec![f32::NAN]).unwrap();
		assert!(!nan.to_dtype(DType::BF16).unwrap().is_finite());
		assert!(!nan.to_dtype(DType::F16).unwrap().is_finite());
		assert!(Tensor::i64(vec![1], vec![1]).unwrap().to_dtype(DType::F16).is_none());
		assert_eq!(DType::parse_float("BF16"), Ok(DType::BF16));
		assert!(DType::parse_float("f64").is_err());
	}

	#[test]
	fn the_documented_half_precision_answer_is_what_is_encoded() {
		// docs/PROTOCOL.md, "Half precision on the wire".
		let wide = Tensor::f32(vec![1, 2, 2], vec![1.0, -2.5, 0.1, 65504.0]).unwrap();
		let bf16 = encode(&[("outputs", &wide.to_dtype(DType::BF16).unwrap())]);
		assert_eq!(
			hex::encode(&bf16),
			"48000000000000007b226f757470757473223a7b226474797065223a2242463136222c227368617065223a5b312c\
			 322c325d2c22646174615f6f666673657473223a5b302c385d7d7d20202020202020803f20c0cd3d8047"
				.replace(['\t', ' '], "")
		);
		let f16 = encode(&[("outputs", &wide.to_dtype(DType::F16).unwrap())]);
		assert_eq!(
			hex::encode(&f16),
			"40000000000000007b226f757470757473223a7b226474797065223a22463136222c227368617065223a5b312c\
			 322c325d2c22646174615f6f666673657473223a5b302c385d7d7d003c00c1662eff7b"
				.replace(['\t', ' '], "")
		);
		let [back] = decode(&bf16, ["outputs"]).unwrap();
		assert_eq!(
			back.to_f32().unwrap().as_f32().unwrap(),
			[1.0, -2.5, f32::from_bits(0x3dcd_0000), 65536.0]
		);
	}

	#[test]
	fn a_half_tensor_whose_bytes_disagree_with_its_shape_is_refused() {
		let header = br#"{"outputs":{"dtype":"BF16","shape":[3],"data_offsets":[0,4]}}"#;
		let mut body = (header.len() as u64).to_le_bytes().to_vec();
		body.extend_from_slice(header);
		body.extend_from_slice(&[0; 4]);
		assert!(decode(&body, ["outputs"]).is_err());
	}

	#[test]
	fn other_dtypes_are_refused() {
		let header = br#"{"inputs":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}"#;
		let mut body = (header.len() as u64).to_le_bytes().to_vec();
		body.extend_from_slice(header);
		body.extend_from_slice(&[0; 8]);
		assert!(matches!(decode(&body, ["inputs"]), Err(CodecError::UnsupportedDtype { .. })));
	}
}
