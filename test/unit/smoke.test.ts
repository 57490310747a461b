import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isTypeDef } from '../../src/core/model';

test('core model loads', () => {
  assert.equal(isTypeDef({ kind: 'fn' } as never), false);
});
