// The one typed confirmation: nothing is confirmed until the name is typed exactly; a wrong name
// says so and starts over; a paste with its enter confirms; esc and Ctrl-C cancel.
import React from 'react';
import { describe, expect, it } from 'vitest';
import { TypedConfirm } from '../../src/ui/TypedConfirm.js';
import { KEY, renderAt } from './render-at.js';

function setup(withEmpty = false) {
  const calls: string[] = [];
  const ui = renderAt(<TypedConfirm expected="production" verb="roll back" onConfirm={() => calls.push('confirm')} onCancel={() => calls.push('cancel')} {...(withEmpty ? { onEmpty: () => calls.push('empty') } : {})} />);
  return { ui, calls };
}

describe('TypedConfirm', () => {
  it('a wrong name changes nothing and starts over; backspace edits; the exact name and enter confirm', async () => {
    const { ui, calls } = setup();
    expect(ui.frame()).toContain('PRODUCTION: type "production" and enter to roll back, esc to cancel:');
    await ui.press('prod', KEY.enter);
    expect(calls).toEqual([]);
    expect(ui.frame()).toContain('That is not "production"; nothing changed. Type it exactly, or esc.');
    await ui.press('productionx', KEY.backspace);
    expect(ui.frame()).toMatch(/cancel: production\s*$/m);
    await ui.press(KEY.enter);
    expect(calls).toEqual(['confirm']);
    ui.unmount();
  });

  it('a paste of "production\\r" in one chunk confirms; enter alone goes to onEmpty when given, else says it is not the name', async () => {
    const a = setup();
    await a.ui.press(KEY.enter);
    expect(a.calls).toEqual([]);
    expect(a.ui.frame()).toContain('That is not "production"');
    await a.ui.press('production\r');
    expect(a.calls).toEqual(['confirm']);
    a.ui.unmount();
    const b = setup(true);
    await b.ui.press(KEY.enter);
    expect(b.calls).toEqual(['empty']);
    b.ui.unmount();
  });

  it('esc and Ctrl-C cancel; arrows are not typed', async () => {
    const a = setup();
    await a.ui.press(KEY.up, KEY.down);
    expect(a.ui.frame()).toMatch(/cancel:\s*$/m);
    await a.ui.press(KEY.escape);
    expect(a.calls).toEqual(['cancel']);
    a.ui.unmount();
    const b = setup();
    await b.ui.press(KEY.ctrlC);
    expect(b.calls).toEqual(['cancel']);
    b.ui.unmount();
  });
});
