//! The read models: a lean metagraph (row lengths only) and the paged rows.

use super::*;

#[test]
fn the_metagraph_carries_row_lengths_and_rows_come_in_pages() {
	new_test_ext().execute_with(|| {
		create_test_subnet(NETUID);
		for i in 0..5 {
			register(NETUID, 1 + i, 101 + i);
		}
		assert_ok!(Bittensor::set_weights(
			RuntimeOrigin::signed(101),
			NETUID,
			vec![1, 2, 3],
			vec![1, 2, 3],
			0
		));
		let graph = Bittensor::metagraph(NETUID).unwrap();
		let counts: Vec<u32> = graph.neurons.iter().map(|n| n.weight_count).collect();
		assert_eq!(counts, vec![3, 0, 0, 0, 0]);

		// Pages of two: uids 0-1 (next 2), 2-3 (next 4), 4 (last).
		let first = Bittensor::rows(NETUID, 0, 2).unwrap();
		assert_eq!(first.rows.iter().map(|r| r.uid).collect::<Vec<_>>(), vec![0, 1]);
		assert_eq!(first.rows[0].weights, vec![(1, 21845), (2, 43690), (3, 65535)]);
		assert_eq!(first.next, Some(2));
		assert_eq!(Bittensor::rows(NETUID, 2, 2).unwrap().next, Some(4));
		let last = Bittensor::rows(NETUID, 4, 2).unwrap();
		assert_eq!((last.rows.len(), last.next), (1, None));
		// Past the end: an empty last page; an unknown subnet: none.
		let past = Bittensor::rows(NETUID, 9, 2).unwrap();
		assert!(past.rows.is_empty() && past.next.is_none());
		assert!(Bittensor::rows(9, 0, 2).is_none());
		// Huge counts do not overflow.
		assert_eq!(Bittensor::rows(NETUID, u16::MAX, u16::MAX).unwrap().rows.len(), 0);
	});
}
