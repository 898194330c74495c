import { randomBytes } from 'node:crypto';

// An id with 13 decimal digits in a row could pass for a card number, and the outgoing guard
// (which scans ids too) would refuse to send it; such draws (about 1 in 2,000) are drawn again.
const CARD_LENGTH_DIGIT_RUN = /\d{13}/;

/** `prefix_` + 16 random hex digits (64 bits), never 13 decimal digits in a row. */
export function randomHexId(prefix: string): string {
  for (;;) {
    const hex = randomBytes(8).toString('hex');
    if (!CARD_LENGTH_DIGIT_RUN.test(hex)) return `${prefix}_${hex}`;
  }
}
