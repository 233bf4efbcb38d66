//! Assembling the read models served by `BittensorApi`.

use crate::{
	pallet::*,
	runtime_api::{DelegateInfo, Metagraph, NeuronInfo, NeuronRows, RowPage, StakeInfo},
	BalanceOf, NetUid, Uid,
};
use alloc::vec::Vec;
use polkadot_sdk::{frame_system::pallet_prelude::BlockNumberFor, sp_runtime::traits::Zero};

/// A neuron of runtime `T`.
pub type NeuronOf<T> = NeuronInfo<
	<T as polkadot_sdk::frame_system::Config>::AccountId,
	BalanceOf<T>,
	BlockNumberFor<T>,
>;
/// A metagraph of runtime `T`.
pub type MetagraphOf<T> = Metagraph<
	<T as polkadot_sdk::frame_system::Config>::AccountId,
	BalanceOf<T>,
	BlockNumberFor<T>,
>;

/// Per-subnet vectors, read once and indexed by uid.
struct SubnetVectors<T: Config> {
	rank: NeuronVec<T, polkadot_sdk::sp_runtime::Perquintill>,
	trust: NeuronVec<T, polkadot_sdk::sp_runtime::Perquintill>,
	consensus: NeuronVec<T, polkadot_sdk::sp_runtime::Perquintill>,
	incentive: NeuronVec<T, polkadot_sdk::sp_runtime::Perquintill>,
	validator_trust: NeuronVec<T, polkadot_sdk::sp_runtime::Perquintill>,
	dividends: NeuronVec<T, polkadot_sdk::sp_runtime::Perquintill>,
	emission: NeuronVec<T, BalanceOf<T>>,
	active: NeuronVec<T, bool>,
	last_update: NeuronVec<T, BlockNumberFor<T>>,
	registered_at: NeuronVec<T, BlockNumberFor<T>>,
	held: NeuronVec<T, BalanceOf<T>>,
}

impl<T: Config> SubnetVectors<T> {
	fn read(netuid: NetUid) -> Self {
		Self {
			rank: Rank::<T>::get(netuid),
			trust: Trust::<T>::get(netuid),
			consensus: Consensus::<T>::get(netuid),
			incentive: Incentive::<T>::get(netuid),
			validator_trust: ValidatorTrust::<T>::get(netuid),
			dividends: Dividends::<T>::get(netuid),
			emission: Emission::<T>::get(netuid),
			active: Active::<T>::get(netuid),
			last_update: LastUpdate::<T>::get(netuid),
			registered_at: BlockAtRegistration::<T>::get(netuid),
			held: EpochStake::<T>::get(netuid),
		}
	}

	fn neuron(&self, netuid: NetUid, uid: Uid) -> Option<NeuronOf<T>> {
		let hotkey = Keys::<T>::get(netuid, uid)?;
		let coldkey = Owner::<T>::get(&hotkey).unwrap_or_else(|| hotkey.clone());
		let at = uid as usize;
		Some(NeuronInfo {
			uid,
			stake: Stake::<T>::get(&hotkey),
			counted_stake: match self.held.get(at) {
				Some(held) => (*held).min(Stake::<T>::get(&hotkey)),
				None if self.held.is_empty() => Stake::<T>::get(&hotkey),
				None => Zero::zero(),
			},
			take: Pallet::<T>::take_of(&hotkey),
			nominators: Pallet::<T>::nominator_count(&hotkey, &coldkey),
			rank: self.rank.get(at).copied().unwrap_or_default(),
			trust: self.trust.get(at).copied().unwrap_or_default(),
			consensus: self.consensus.get(at).copied().unwrap_or_default(),
			incentive: self.incentive.get(at).copied().unwrap_or_default(),
			validator_trust: self.validator_trust.get(at).copied().unwrap_or_default(),
			dividends: self.dividends.get(at).copied().unwrap_or_default(),
			emission: self.emission.get(at).copied().unwrap_or_default(),
			active: self.active.get(at).copied().unwrap_or_default(),
			last_update: self.last_update.get(at).copied().unwrap_or_default(),
			registered_at: self.registered_at.get(at).copied().unwrap_or_default(),
			axon: Axons::<T>::get(netuid, uid),
			// Lengths only: the rows are what makes a full subnet's metagraph heavy.
			weight_count: Weights::<T>::decode_len(netuid, uid).unwrap_or(0) as u32,
			bond_count: Bonds::<T>::decode_len(netuid, uid).unwrap_or(0) as u32,
			pending_commits: WeightCommits::<T>::get(netuid, &hotkey).into_inner(),
			hotkey,
			coldkey,
		})
	}
}

impl<T: Config> Pallet<T> {
	/// The subnet's hyperparameters and every neuron, or `None` if it does not exist.
	pub fn metagraph(netuid: NetUid) -> Option<MetagraphOf<T>> {
		let hyperparameters = Subnets::<T>::get(netuid)?;
		let vectors = SubnetVectors::<T>::read(netuid);
		let neurons = (0..SubnetworkN::<T>::get(netuid))
			.filter_map(|uid| vectors.neuron(netuid, uid))
			.collect();
		Some(Metagraph {
			netuid,
			owner: SubnetOwner::<T>::get(netuid),
			locked: SubnetLocked::<T>::get(netuid),
			registration_price: Pallet::<T>::registration_price(netuid).unwrap_or_default(),
			hyperparameters,
			last_epoch_block: LastEpochBlock::<T>::get(netuid),
			neurons,
		})
	}

	/// One neuron, or `None` if the subnet or uid does not exist.
	pub fn neuron(netuid: NetUid, uid: Uid) -> Option<NeuronOf<T>> {
		if !Subnets::<T>::contains_key(netuid) {
			return None;
		}
		SubnetVectors::<T>::read(netuid).neuron(netuid, uid)
	}

	/// The weight and bond rows of at most `count` neurons from uid `first` on, or `None` if
	/// the subnet does not exist.
	pub fn rows(netuid: NetUid, first: Uid, count: u16) -> Option<RowPage> {
		if !Subnets::<T>::contains_key(netuid) {
			return None;
		}
		let size = SubnetworkN::<T>::get(netuid);
		let end = first.saturating_add(count).min(size);
		let rows = (first..end)
			.map(|uid| NeuronRows {
				uid,
				weights: Weights::<T>::get(netuid, uid).into_inner(),
				bonds: Bonds::<T>::get(netuid, uid).into_inner(),
			})
			.collect();
		Some(RowPage { netuid, first, rows, next: (end < size).then_some(end) })
	}

	/// The netuids of every subnet, ascending.
	pub fn subnet_ids() -> Vec<NetUid> {
		let mut ids: Vec<NetUid> = Subnets::<T>::iter_keys().collect();
		ids.sort_unstable();
		ids
	}
}

impl<T: Config> Pallet<T> {
	/// Positions on `hotkey` other than its owner's.
	pub fn nominator_count(hotkey: &T::AccountId, owner: &T::AccountId) -> u32 {
		let count = StakePositionCount::<T>::get(hotkey);
		count.saturating_sub(u32::from(StakePositions::<T>::contains_key(hotkey, owner)))
	}

	/// Every position `coldkey` holds (a scan of all positions: a read for clients, never
	/// run on chain).
	pub fn stake_positions(
		coldkey: &T::AccountId,
	) -> Vec<StakeInfo<T::AccountId, BalanceOf<T>, BlockNumberFor<T>>> {
		StakePositions::<T>::iter()
			.filter(|(_, staker, _)| staker == coldkey)
			.map(|(hotkey, _, position)| StakeInfo {
				hotkey_owner: Owner::<T>::get(&hotkey),
				worth: Self::position_value(&hotkey, coldkey),
				principal: position.principal,
				shares: position.shares,
				locked: position.locked,
				locked_until: position.locked_until,
				take: Self::take_of(&hotkey),
				hotkey,
			})
			.collect()
	}

	/// Every hotkey registered in some subnet, with its take and nominators.
	pub fn delegates() -> Vec<DelegateInfo<T::AccountId, BalanceOf<T>>> {
		let mut delegates: Vec<DelegateInfo<T::AccountId, BalanceOf<T>>> = Vec::new();
		for (netuid, hotkey, uid) in Uids::<T>::iter() {
			if let Some(known) = delegates.iter_mut().find(|d| d.hotkey == hotkey) {
				known.registrations.push((netuid, uid));
				continue;
			}
			let Some(owner) = Owner::<T>::get(&hotkey) else { continue };
			delegates.push(DelegateInfo {
				take: Self::take_of(&hotkey),
				stake: Stake::<T>::get(&hotkey),
				nominators: Self::nominator_count(&hotkey, &owner),
				registrations: alloc::vec![(netuid, uid)],
				owner,
				hotkey,
			});
		}
		for delegate in &mut delegates {
			delegate.registrations.sort_unstable();
		}
		delegates
	}
}
