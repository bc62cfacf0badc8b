// The type pass over elementwise expressions: which nodes compute on integers, where integer
// operands are converted for a float computation, and how params are passed.

import { describe, expect, it } from 'vitest';
import type { DType } from './dtype.js';
import { E, type Expr } from './expr.js';
import { type Typed, typeExprs } from './expr-types.js';

/** A compact form of a typed tree: fn:type(children), conversions as ~type. */
function show(e: Typed): string {
  switch (e.kind) {
    case 'input':
      return `$${e.index}:${e.type}`;
    case 'const':
      return `${e.value}:${e.type}`;
    case 'param':
      return `#${e.index}:${e.type}`;
    case 'unary':
      return `${e.fn}:${e.type}(${show(e.x)})`;
    case 'binary':
      return `${e.fn}:${e.type}(${show(e.a)},${show(e.b)})`;
    case 'select':
      return `select:${e.type}(${show(e.cond)},${show(e.a)},${show(e.b)})`;
    case 'cast':
      return `${e.to}:${e.type}(${show(e.x)})`;
    case 'convert':
      return `~${e.type}(${show(e.x)})`;
  }
}

function typed(expr: Expr, inputs: DType[], out: DType, params = 0) {
  const result = typeExprs([expr], inputs, [out], params);
  return { tree: show(result.exprs[0]!), params: result.params };
}

describe('typeExprs', () => {
  it('keeps integer arithmetic on int32 inputs, with params as int32', () => {
    expect(typed(E.add(E.mul(E.input(0), E.param(0)), 1), ['int32'], 'int32', 1)).toEqual({
      tree: 'add:int(mul:int($0:int,#0:int),1:int)',
      params: ['int'],
    });
  });

  it('computes float ops in floats, converting integer operands', () => {
    expect(typed(E.div(E.input(0), E.input(1)), ['int32', 'bool'], 'float32').tree).toBe(
      'div:float(~float($0:int),~float($1:int))',
    );
    expect(typed(E.exp(E.input(0)), ['int32'], 'float32').tree).toBe('exp:float(~float($0:int))');
  });

  it('promotes a mixed operation to float; a non-integer constant is a float', () => {
    expect(typed(E.add(E.input(0), E.input(1)), ['int32', 'float32'], 'float32').tree).toBe(
      'add:float(~float($0:int),$1:float)',
    );
    expect(typed(E.mul(E.input(0), 0.5), ['int32'], 'float32').tree).toBe(
      'mul:float(~float($0:int),0.5:float)',
    );
  });

  it('compares in the operands common kind and gives an integer 0/1', () => {
    expect(typed(E.lt(E.input(0), E.param(0)), ['int32'], 'bool', 1)).toEqual({
      tree: 'lt:int($0:int,#0:int)',
      params: ['int'],
    });
    expect(typed(E.eq(E.input(0), E.input(1)), ['int32', 'float32'], 'bool').tree).toBe(
      'eq:int(~float($0:int),$1:float)',
    );
  });

  it('types a lone param by what it is stored as or cast to', () => {
    expect(typed(E.param(0), [], 'int32', 1).params).toEqual(['int']);
    expect(typed(E.param(0), [], 'float32', 1).params).toEqual(['float']);
    // bool(0.5) is true: the value is tested as it is, not truncated first.
    expect(typed(E.param(0), [], 'bool', 1).params).toEqual(['float']);
    expect(typed(E.cast('int32', E.param(0)), [], 'float32', 1).params).toEqual(['int']);
    expect(typed(E.cast('float32', E.param(0)), [], 'int32', 1).params).toEqual(['float']);
  });

  it('passes a param used in both kinds as a float, converted where an integer is wanted', () => {
    const expr = E.add(
      E.mul(E.input(0), E.param(0)),
      E.cast('int32', E.mul(E.input(1), E.param(0))),
    );
    expect(typed(expr, ['int32', 'float32'], 'int32', 1)).toEqual({
      tree: 'add:int(mul:int($0:int,~int(#0:float)),int32:int(mul:float($1:float,#0:float)))',
      params: ['float'],
    });
  });

  it("selects in its branches' kind, and a constant takes the kind of its context", () => {
    expect(typed(E.select(E.input(0), E.input(1), 7), ['bool', 'int32'], 'int32').tree).toBe(
      'select:int($0:int,$1:int,7:int)',
    );
    expect(typed(E.select(E.input(0), E.input(1), 7), ['bool', 'float32'], 'float32').tree).toBe(
      'select:float($0:int,$1:float,7:float)',
    );
  });
});
