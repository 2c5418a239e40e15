//! The integration tests: one binary (fast to link), one module per area.
//! Every test runs a real server on 127.0.0.1:0 with a real database in a
//! temporary directory.

/// Headless Chromium, driven over WebDriver.
mod browser;
/// A real PostgreSQL server the tests start themselves.
mod pg;
mod support;

/// Bad input gets a clear error and changes nothing.
mod bad_input;
/// The console's question bank tab in real browsers: upload, editor, preview.
mod bank_console;
/// Question banks uploaded by the organiser.
mod banks;
/// `handsup check` on good and broken bank files.
mod check;
/// Several nodes on one PostgreSQL database: relays, failover, fencing.
mod cluster;
/// Untrustworthy data directories are refused, never overwritten.
mod datadir;
/// The database lost while running: input refused, then resumed; nothing lost.
mod dblost;
/// Durable meetings, resume, idempotent commands, slow phones.
mod durability;
/// Elections, discipline ballots, secret-ballot counters, congress mode.
mod elect;
/// The parsers of hostile input, fuzzed briefly.
mod fuzz;
/// Hostile files, floods, PIN guessing, slow clients and headers
/// (docs/SECURITY.md).
mod hostile;
/// The HTTP routes.
mod http;
/// The live room in real browsers: answer key, skip, restart, re-ask.
mod live_room;
/// The load generator, small: nothing lost or counted twice.
mod load;
/// Agenda, opinions and evaluation over the websocket.
mod meeting;
/// Opinions on the pages in real browsers: phones, host console, projector.
mod meeting_pages;
/// The meeting's record: exports, minutes details, archive, deletion.
mod minutes;
/// The pages in a real browser: member, projector, host.
mod pages;
/// A whole meeting over the websocket: join, every question type, podium.
mod quiz_flow;
/// Secret ballots against an attacker holding a copy of the data directory.
mod secrecy;
/// The store on SQLite and on PostgreSQL; databases to refuse.
mod store;
/// Voting: roster, attendance, open and secret ballots, decisions.
mod voting;
/// Party or neutral wording on every page (issue 14 item 4).
mod wording;
