//! The pages in a real headless browser (Debian's Chromium, installed by
//! `scripts/install-test-deps`).
