//! Who voted on a motion and, on an open ballot only, for what.

use std::collections::HashMap;

use crate::quiz::MemberId;

/// The value kept for a secret ballot's voter: that they voted, no choice.
const NO_CHOICE: u32 = u32::MAX;

/// The option a kept value stands for, if any.
fn option(value: u32) -> Option<usize> {
    (value != NO_CHOICE).then_some(value as usize)
}

/// Every voter of one motion, with the option they chose on an open ballot
/// (a secret ballot's record never holds one). While the motion is open it
/// is a hash map, so each of thousands of votes arriving at once is recorded
/// in constant time; once the motion closes it is sealed into a list sorted
/// by member, 8 bytes a voter, about a fifth of the map's memory: a long
/// meeting keeps every closed motion's record (who may still record a
/// reservation, who sees "you voted") until it ends.
#[derive(Clone, Debug)]
pub enum Ballots {
    Open(HashMap<MemberId, u32>),
    Sealed(Box<[(MemberId, u32)]>),
}

impl Default for Ballots {
    fn default() -> Ballots {
        Ballots::Open(HashMap::new())
    }
}

impl Ballots {
    fn get(&self, member: MemberId) -> Option<u32> {
        match self {
            Ballots::Open(m) => m.get(&member).copied(),
            Ballots::Sealed(v) => v
                .binary_search_by_key(&member, |e| e.0)
                .ok()
                .map(|i| v[i].1),
        }
    }

    /// How many members voted.
    pub fn len(&self) -> usize {
        match self {
            Ballots::Open(m) => m.len(),
            Ballots::Sealed(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn contains(&self, member: MemberId) -> bool {
        self.get(member).is_some()
    }

    /// The option `member` chose, on an open ballot.
    pub fn choice(&self, member: MemberId) -> Option<usize> {
        self.get(member).and_then(option)
    }

    /// Every open-ballot choice, as (member, option), in no set order.
    pub fn choices(&self) -> impl Iterator<Item = (MemberId, usize)> + '_ {
        let (open, sealed) = match self {
            Ballots::Open(m) => (Some(m.iter().map(|(&k, &v)| (k, v))), None),
            Ballots::Sealed(v) => (None, Some(v.iter().copied())),
        };
        open.into_iter()
            .flatten()
            .chain(sealed.into_iter().flatten())
            .filter_map(|(member, value)| Some((member, option(value)?)))
    }

    /// Records that `member` voted, with their option on an open ballot
    /// (`None` on a secret one); returns the option this vote replaces.
    pub fn record(&mut self, member: MemberId, choice: Option<usize>) -> Option<usize> {
        if let Ballots::Sealed(v) = self {
            *self = Ballots::Open(v.iter().copied().collect());
        }
        let Ballots::Open(m) = self else {
            unreachable!("unsealed above")
        };
        let value = choice.map_or(NO_CHOICE, |c| c as u32);
        m.insert(member, value).and_then(option)
    }

    /// Keeps the record compactly once no more votes can come.
    pub fn seal(&mut self) {
        if let Ballots::Open(m) = self {
            let mut v: Vec<(MemberId, u32)> = m.drain().collect();
            v.sort_unstable_by_key(|e| e.0);
            *self = Ballots::Sealed(v.into_boxed_slice());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_record_answers_as_the_open_one_did() {
        let mut b = Ballots::default();
        assert_eq!(b.record(7, Some(1)), None);
        assert_eq!(b.record(3, Some(0)), None);
        assert_eq!(b.record(7, Some(2)), Some(1), "a changed vote replaces");
        assert_eq!(b.record(9, None), None, "a secret voter");
        let before: Vec<_> = [3, 7, 9, 4]
            .iter()
            .map(|&m| (b.contains(m), b.choice(m)))
            .collect();
        let mut choices: Vec<_> = b.choices().collect();
        choices.sort();
        b.seal();
        assert!(matches!(b, Ballots::Sealed(_)));
        let after: Vec<_> = [3, 7, 9, 4]
            .iter()
            .map(|&m| (b.contains(m), b.choice(m)))
            .collect();
        assert_eq!(before, after);
        assert_eq!(
            after,
            vec![
                (true, Some(0)),
                (true, Some(2)),
                (true, None),
                (false, None)
            ]
        );
        let mut sealed: Vec<_> = b.choices().collect();
        sealed.sort();
        assert_eq!((choices, sealed.len(), b.len()), (sealed, 2, 3));
        // A vote recorded after sealing (never live: a closed motion
        // refuses votes) still counts.
        b.record(1, Some(0));
        assert_eq!((b.len(), b.choice(1)), (4, Some(0)));
    }
}
