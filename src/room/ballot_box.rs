//! The ballot box of a secret ballot: ballots received but not yet on disk.
//!
//! A database copied at any instant holds every state it has ever committed
//! (the write-ahead log keeps past page images, a crash leaves them behind).
//! Were each secret ballot committed on its own, two successive states would
//! differ by one voter and one count, and link the two. So secret ballots are
//! applied in memory at once (the member is marked as having voted, the
//! count moves) but reach the store only in groups: a group is sealed when
//! at least `2 × group` ballots wait, and takes all but the newest `group`
//! of them; closing the motion (or ending the meeting) seals what is left,
//! which is then at least `group` ballots, or every ballot of a motion that
//! fewer than `group` members voted on. Every state on disk therefore
//! differs from the one before it by at least `group` voters (or by all of
//! them), and no copy of the data directory tells a voter's choice better
//! than the group's counts do.
//!
//! A ballot is acknowledged only once its group is durable; until then its
//! member is told it was received (`received`) and its page keeps it to
//! resend after a reconnect. Ballots still in the box when the server stops
//! were never acknowledged, so the pages resend them to the next server.

use std::collections::VecDeque;

use crate::quiz::MemberId;
use crate::store::Op;
use crate::vote::MotionId;

/// Voters in the smallest group of secret ballots written together.
pub const SECRET_GROUP: usize = 5;

/// One ballot waiting in the box.
#[derive(Debug)]
pub struct Held {
    pub member: MemberId,
    pub cid: String,
    /// Where the ack goes; a member who reconnects and resends moves it.
    pub conn: super::ConnId,
    /// The ballot's event and its count, written when its group is sealed.
    pub ops: Vec<Op>,
}

/// Ballots of the open secret motion not yet written.
#[derive(Debug)]
pub struct BallotBox {
    group: usize,
    motion: Option<MotionId>,
    held: VecDeque<Held>,
}

impl BallotBox {
    pub fn new(group: usize) -> BallotBox {
        BallotBox {
            group: group.max(1),
            motion: None,
            held: VecDeque::new(),
        }
    }

    /// The motion whose ballots wait, if any.
    pub fn motion(&self) -> Option<MotionId> {
        self.motion.filter(|_| !self.held.is_empty())
    }

    /// Puts a ballot of `motion` in the box.
    pub fn put(&mut self, motion: MotionId, ballot: Held) {
        debug_assert!(
            self.motion().is_none_or(|m| m == motion),
            "one secret motion is open at a time"
        );
        self.motion = Some(motion);
        self.held.push_back(ballot);
    }

    /// Whether the ballot `member` sent with `cid` waits here.
    pub fn holds(&self, member: MemberId, cid: &str) -> bool {
        self.held.iter().any(|h| h.member == member && h.cid == cid)
    }

    /// The ballot `member` sent with `cid`, if it waits here.
    pub fn find_mut(&mut self, member: MemberId, cid: &str) -> Option<&mut Held> {
        self.held
            .iter_mut()
            .find(|h| h.member == member && h.cid == cid)
    }

    /// The oldest ballots that may be written now, keeping back enough that
    /// whatever is left can still form a group of its own.
    pub fn ready(&mut self) -> Option<(MotionId, Vec<Held>)> {
        if self.held.len() < 2 * self.group {
            return None;
        }
        let n = self.held.len() - self.group;
        Some((self.motion?, self.held.drain(..n).collect()))
    }

    /// Every ballot, when the motion closes or the meeting ends.
    pub fn all(&mut self) -> Option<(MotionId, Vec<Held>)> {
        let motion = self.motion()?;
        Some((motion, self.held.drain(..).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ballot(member: MemberId) -> Held {
        Held {
            member,
            cid: format!("c{member}"),
            conn: 0,
            ops: Vec::new(),
        }
    }

    /// Puts `n` ballots in and returns the sizes of the groups written,
    /// the last one at close.
    fn groups(group: usize, n: u32) -> Vec<usize> {
        let mut b = BallotBox::new(group);
        let mut out = Vec::new();
        for m in 1..=n {
            b.put(1, ballot(m));
            if let Some((motion, g)) = b.ready() {
                assert_eq!(motion, 1);
                out.push(g.len());
            }
        }
        if let Some((_, last)) = b.all() {
            out.push(last.len());
        }
        out
    }

    #[test]
    fn every_group_holds_at_least_five_voters_or_all_of_them() {
        for n in 1..=200u32 {
            let g = groups(SECRET_GROUP, n);
            assert_eq!(
                g.iter().sum::<usize>(),
                n as usize,
                "{n} voters: all written"
            );
            let least = SECRET_GROUP.min(n as usize);
            assert!(
                g.iter().all(|&k| k >= least),
                "{n} voters written as {g:?}: a group smaller than {least}"
            );
        }
        assert_eq!(groups(5, 4), vec![4], "fewer than five: one group at close");
        assert_eq!(groups(5, 9), vec![9]);
        assert_eq!(groups(5, 10), vec![5, 5]);
        assert_eq!(groups(5, 23), vec![5, 5, 5, 8]);
    }

    #[test]
    fn a_group_of_one_writes_each_ballot_at_once_but_the_last() {
        // The deliberately weak setting the forensic control test uses.
        assert_eq!(groups(1, 3), vec![1, 1, 1]);
    }

    #[test]
    fn a_resent_ballot_is_found_by_member_and_cid() {
        let mut b = BallotBox::new(5);
        b.put(2, ballot(7));
        assert!(b.find_mut(7, "c7").is_some());
        assert!(b.find_mut(7, "other").is_none());
        assert!(b.find_mut(8, "c7").is_none());
        assert_eq!(b.motion(), Some(2));
        assert_eq!(b.all().map(|(m, h)| (m, h.len())), Some((2, 1)));
        assert_eq!(b.motion(), None);
        assert!(b.all().is_none());
    }
}
