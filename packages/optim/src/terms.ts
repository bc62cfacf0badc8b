// Pieces the optimizers' update expressions share: the effective gradient (maximize, weight
// decay folded in) and a cache so each combination of flags builds its expressions once.

import { E, type Expr } from '@dl/tensor';

/** The gradient as PyTorch's updates see it: negated to maximize, plus weightDecay * param. */
export function gradExpr(
  grad: Expr,
  param: Expr,
  options: { maximize: boolean; weightDecay: Expr | null },
): Expr {
  const g = options.maximize ? E.neg(grad) : grad;
  return options.weightDecay ? E.add(g, E.mul(param, options.weightDecay)) : g;
}

/** Memoizes a builder of expressions over boolean flags (a few combinations at most). */
export function memo<Flags extends boolean[]>(
  build: (...flags: Flags) => readonly Expr[],
): (...flags: Flags) => readonly Expr[] {
  const cache = new Map<string, readonly Expr[]>();
  return (...flags) => {
    const key = flags.map(Number).join('');
    let exprs = cache.get(key);
    if (!exprs) {
      exprs = build(...flags);
      cache.set(key, exprs);
    }
    return exprs;
  };
}
