/** @module AckWaiters: durable acks waiting for their events' commit → 'ok' once committed, 'late' past the deadline or at shutdown. */

interface Waiter {
  /** The sequence number of the request's last event (events commit in the order accepted). */
  seq: number;
  /** When it began waiting, on the buffer's clock. */
  at: number;
  resolve: (outcome: 'ok' | 'late') => void;
}

/**
 * The waiting acks in arrival order, which is also the order of their sequence numbers and of
 * their deadlines: both commits and deadlines answer them from the front. Answered ones are
 * passed over by a head index and dropped from the list only once they are half of it, so an
 * answer costs no shift of the array.
 */
export class AckWaiters {
  private list: Waiter[] = [];
  private head = 0;

  constructor(
    private readonly now: () => number,
    private readonly timeoutMs: number,
  ) {}

  /** Acks still waiting. */
  get count(): number {
    return this.list.length - this.head;
  }

  /** Resolves 'ok' once release() has seen `seq` committed, or 'late' (expire(), answerAllLate()). */
  wait(seq: number): Promise<'ok' | 'late'> {
    return new Promise((resolve) => this.list.push({ seq, at: this.now(), resolve }));
  }

  /** Answers 'ok' every ack whose events are all committed, `committedSeq` being the last committed. */
  release(committedSeq: number): void {
    const w = this.list;
    while (this.head < w.length && w[this.head]!.seq <= committedSeq) w[this.head++]!.resolve('ok');
    this.compact();
  }

  /** Answers 'late' the acks that have waited timeoutMs or longer; returns how many. */
  expire(): number {
    const deadline = this.now() - this.timeoutMs;
    const w = this.list;
    const from = this.head;
    while (this.head < w.length && w[this.head]!.at <= deadline) w[this.head++]!.resolve('late');
    const n = this.head - from;
    this.compact();
    return n;
  }

  /** Answers 'late' every ack still waiting (a shutdown about to cut their connections); returns how many. */
  answerAllLate(): number {
    const n = this.count;
    const w = this.list;
    while (this.head < w.length) w[this.head++]!.resolve('late');
    this.compact();
    return n;
  }

  /** Drops the answered acks from the front once they are half the list. */
  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.list.length) {
      this.list = this.list.slice(this.head);
      this.head = 0;
    }
  }
}
