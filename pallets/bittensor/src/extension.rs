//! [`CheckNeuronCalls`]: the transaction pool's guard for neurons' free calls.
//!
//! `serve_axon`, `set_weights`, `commit_weights` and `reveal_weights` pay no fee when signed by
//! a hotkey registered in the call's subnet, so nothing would stop a neuron from flooding the
//! pool with calls that fail. This extension runs every rule of these calls when a transaction
//! is validated — before it enters the pool, and again when a block includes it — so a call
//! that would fail is refused and never reaches a block:
//!
//! - a refused call gets `InvalidTransaction::Custom(code)`, where `code` is the index of the
//!   pallet [`Error`] that its dispatch would have returned (clients read the error's name and
//!   documentation from the metadata);
//! - each accepted call provides the tag `(call, hotkey, netuid)`, so a hotkey can hold one
//!   call of each kind per subnet in the pool: the pool refuses a second
//!   with the same priority until the first is included, and the rate limits refuse it after;
//! - its priority is the hotkey's stake, so when blocks are full the best-staked neurons'
//!   weights go first.

use crate::{pallet::*, NetUid};
use codec::{Decode, DecodeWithMemTracking, Encode};
use core::marker::PhantomData;
use polkadot_sdk::{
	frame_support::{
		dispatch::DispatchInfo,
		pallet_prelude::TransactionSource,
		traits::{Get, IsSubType},
		weights::Weight,
	},
	frame_system,
	sp_runtime::{
		impl_tx_ext_default,
		traits::{
			AsSystemOriginSigner, DispatchInfoOf, Dispatchable, Implication, TransactionExtension,
			UniqueSaturatedInto, ValidateResult,
		},
		transaction_validity::{
			InvalidTransaction, TransactionPriority, TransactionValidityError, ValidTransaction,
		},
	},
};
use scale_info::TypeInfo;

/// Tag prefix of a queued `set_weights`.
const SET_WEIGHTS_TAG: &[u8] = b"bittensor/set_weights";
/// Tag prefix of a queued `serve_axon`.
const SERVE_AXON_TAG: &[u8] = b"bittensor/serve_axon";
/// Tag prefix of a queued `commit_weights`.
const COMMIT_WEIGHTS_TAG: &[u8] = b"bittensor/commit_weights";
/// Tag prefix of a queued `reveal_weights`.
const REVEAL_WEIGHTS_TAG: &[u8] = b"bittensor/reveal_weights";

/// Validates `serve_axon` and `set_weights` before they enter the pool; see the module docs.
/// Encodes to nothing: wallets need not know it.
#[derive(Encode, Decode, DecodeWithMemTracking, Clone, Eq, PartialEq, TypeInfo)]
#[scale_info(skip_type_params(T))]
pub struct CheckNeuronCalls<T>(PhantomData<T>);

impl<T> CheckNeuronCalls<T> {
	pub fn new() -> Self {
		Self(PhantomData)
	}
}

impl<T> Default for CheckNeuronCalls<T> {
	fn default() -> Self {
		Self::new()
	}
}

impl<T> core::fmt::Debug for CheckNeuronCalls<T> {
	fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
		write!(f, "CheckNeuronCalls")
	}
}

/// The pool's refusal for a call that would fail with `error`.
pub fn refusal<T: Config>(error: Error<T>) -> TransactionValidityError {
	// A pallet error encodes as its variant index.
	let code = error.encode().first().copied().unwrap_or(u8::MAX);
	InvalidTransaction::Custom(code).into()
}

impl<T: Config> Pallet<T> {
	/// How the pool should treat `call` signed by `who`: a refusal naming the rule it breaks,
	/// or its priority and tags. Calls other than `serve_axon` and `set_weights` pass as they
	/// are.
	pub fn validate_neuron_call(
		who: &T::AccountId,
		call: &Call<T>,
	) -> Result<ValidTransaction, TransactionValidityError> {
		let (tag, netuid): (&[u8], NetUid) = match call {
			Call::set_weights { netuid, uids, values, version_key } => {
				Self::check_set_weights(*netuid, who, uids, values, *version_key)
					.map_err(refusal::<T>)?;
				(SET_WEIGHTS_TAG, *netuid)
			},
			Call::serve_axon { netuid, ip, port, ip_type, .. } => {
				Self::check_serve_axon(*netuid, who, *ip, *port, *ip_type).map_err(refusal::<T>)?;
				(SERVE_AXON_TAG, *netuid)
			},
			Call::commit_weights { netuid, commit_hash } => {
				Self::check_commit(*netuid, who, *commit_hash).map_err(refusal::<T>)?;
				(COMMIT_WEIGHTS_TAG, *netuid)
			},
			Call::reveal_weights { netuid, uids, values, salt, version_key } => {
				Self::check_reveal(*netuid, who, uids, values, salt, *version_key)
					.map_err(refusal::<T>)?;
				(REVEAL_WEIGHTS_TAG, *netuid)
			},
			_ => return Ok(ValidTransaction::default()),
		};
		Ok(ValidTransaction {
			priority: Self::stake_priority(who),
			provides: alloc::vec![(tag, who, netuid).encode()],
			..ValidTransaction::default()
		})
	}

	/// The hotkey's stake in planck, saturated to the priority's range (1.8·10¹⁰ TAO).
	fn stake_priority(hotkey: &T::AccountId) -> TransactionPriority {
		Stake::<T>::get(hotkey).unique_saturated_into()
	}
}

impl<T: Config + Send + Sync> TransactionExtension<<T as frame_system::Config>::RuntimeCall>
	for CheckNeuronCalls<T>
where
	<T as frame_system::Config>::RuntimeCall:
		Dispatchable<Info = DispatchInfo> + IsSubType<Call<T>>,
	<<T as frame_system::Config>::RuntimeCall as Dispatchable>::RuntimeOrigin:
		AsSystemOriginSigner<T::AccountId> + Clone,
{
	const IDENTIFIER: &'static str = "CheckNeuronCalls";
	type Implicit = ();
	type Val = ();
	type Pre = ();

	fn weight(&self, call: &<T as frame_system::Config>::RuntimeCall) -> Weight {
		// The storage the checks read: subnet, uid, stake, previous row, last update, size
		// (set_weights); subnet, uid, axon (serve_axon).
		// commit (subnet, uid, stake, commits); reveal (subnet, commits and those of
		// set_weights).
		let reads = match call.is_sub_type() {
			Some(Call::set_weights { .. }) => 6,
			Some(Call::serve_axon { .. }) => 3,
			Some(Call::commit_weights { .. }) => 4,
			Some(Call::reveal_weights { .. }) => 7,
			_ => 0,
		};
		<T as frame_system::Config>::DbWeight::get().reads(reads)
	}

	fn validate(
		&self,
		origin: <<T as frame_system::Config>::RuntimeCall as Dispatchable>::RuntimeOrigin,
		call: &<T as frame_system::Config>::RuntimeCall,
		_info: &DispatchInfoOf<<T as frame_system::Config>::RuntimeCall>,
		_len: usize,
		_self_implicit: Self::Implicit,
		_inherited_implication: &impl Implication,
		_source: TransactionSource,
	) -> ValidateResult<Self::Val, <T as frame_system::Config>::RuntimeCall> {
		let validity = match (origin.as_system_origin_signer(), call.is_sub_type()) {
			(Some(who), Some(call)) => Pallet::<T>::validate_neuron_call(who, call)?,
			_ => ValidTransaction::default(),
		};
		Ok((validity, (), origin))
	}

	impl_tx_ext_default!(<T as frame_system::Config>::RuntimeCall; prepare);
}
