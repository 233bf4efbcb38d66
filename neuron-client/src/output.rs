//! Machine-readable output helpers.

use serde_json::value::RawValue;

/// An exact decimal (e.g. a token amount `100.000000001`) as a JSON number, without the
/// rounding a conversion to `f64` would bring.
pub fn exact_number(decimal: String) -> Box<RawValue> {
	RawValue::from_string(decimal)
		.unwrap_or_else(|_| RawValue::from_string("null".into()).expect("`null` is valid JSON"))
}
