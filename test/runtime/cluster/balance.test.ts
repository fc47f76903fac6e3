import { describe, expect, it } from 'vitest';
import { balance } from '../../../src/runtime/cluster/member.js';

/**
 * Nodes taking rounds one after the other (in a shuffled order each time) on a
 * shared pool, as ClusterMember does with the census, claim and release.
 */
function simulate(enabled: number, start: number[], seed = 1): { held: number[]; rounds: number; moves: number } {
  let state = seed;
  const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const held = [...start];
  let free = enabled - held.reduce((a, b) => a + b, 0);
  let moves = 0;
  for (let round = 1; round <= 500; round++) {
    let moved = false;
    const order = held.map((_, i) => i).sort(() => random() - 0.5);
    for (const i of order) {
      // Nodes in id order: the index is the rank.
      const move = balance({ enabled, liveNodes: held.length, held: enabled - free, mine: held[i]!, rank: i, fewest: Math.min(...held) });
      if (move > 0 && free > 0) {
        const n = Math.min(move, free);
        held[i]! += n;
        free -= n;
        moves += n;
        moved = true;
      } else if (move < 0) {
        held[i]! += move;
        free -= move;
        moves -= move;
        moved = true;
      }
    }
    if (!moved && free === 0) return { held, rounds: round, moves };
  }
  throw new Error(`no convergence: ${JSON.stringify(held)}, ${free} free`);
}

const within = (held: number[], enabled: number) => held.every((n) => n === Math.floor(enabled / held.length) || n === Math.ceil(enabled / held.length));

describe('balance (the share each node of a cluster takes)', () => {
  it('spreads integrations over nodes started together, each holding floor or ceil of the mean', () => {
    for (const [enabled, nodes] of [[3000, 3], [105, 10], [100, 3], [7, 3], [1, 4], [0, 2]] as const) {
      const { held } = simulate(enabled, new Array<number>(nodes).fill(0));
      expect(held.reduce((a, b) => a + b, 0)).toBe(enabled);
      expect(within(held, enabled), `${enabled} over ${nodes}: ${held.join(',')}`).toBe(true);
    }
  });

  it('gives a joining node its share, moving only what it takes', () => {
    const { held, moves } = simulate(3000, [1000, 1000, 1000, 0]);
    expect(held).toEqual([750, 750, 750, 750]);
    // Handed over and claimed: each moved integration counted twice.
    expect(moves).toBe(2 * 750);
  });

  it('moves only what the joining node takes, wherever its id sorts', () => {
    const { held, moves } = simulate(3001, [0, 1000, 1000, 1001]);
    expect(held).toEqual([751, 750, 750, 750]);
    expect(moves).toBe(2 * 751);
  });

  it("has the living take a dead node's share (free after its lease ran out)", () => {
    const { held } = simulate(3000, [1000, 1000]);
    expect(held).toEqual([1500, 1500]);
  });

  it('fills a node far below the others when the counts do not divide evenly (105 over 10: 10 or 11 each)', () => {
    const { held } = simulate(105, [11, 11, 11, 11, 11, 11, 11, 11, 11, 6]);
    expect(within(held, 105), held.join(',')).toBe(true);
  });

  it('moves nothing when one integration is disabled or created elsewhere (the holders stay within floor and ceil)', () => {
    expect(simulate(119, [39, 40, 40]).moves).toBe(0);
    expect(simulate(121, [40, 40, 40]).moves).toBe(1);
  });

  it('moves nothing once balanced', () => {
    const { moves, rounds } = simulate(105, [11, 11, 11, 11, 11, 10, 10, 10, 10, 10]);
    expect(moves).toBe(0);
    expect(rounds).toBe(1);
  });
});
