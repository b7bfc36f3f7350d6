import { describe, expect, it } from 'vitest';
import { explainStep, parseSteps } from './steps.js';

const LOG = [
  '[    1.0] kernel noise',
  'STEP-BEGIN mount',
  '10.0.2.2:/open /mnt/open nfs rw 0 0',
  'STEP mount OK 0.2s',
  'STEP-BEGIN write',
  '  FAIL: md5 differs',
  'STEP write FAIL rc=1 3.1s\r',
  'STEP-BEGIN hang',
  'dd: still writing',
].join('\n');

describe('parseSteps', () => {
  const report = parseSteps(LOG);

  it('records each finished step with its verdict and output', () => {
    expect(report.steps.get('mount')).toEqual({
      name: 'mount',
      ok: true,
      output: ['10.0.2.2:/open /mnt/open nfs rw 0 0'],
    });
    expect(report.steps.get('write')).toEqual({ name: 'write', ok: false, output: ['  FAIL: md5 differs'] });
  });

  it('reports a step that began but never ended as unfinished', () => {
    expect(report.steps.has('hang')).toBe(false);
    expect(report.unfinished).toEqual({ name: 'hang', output: ['dd: still writing'] });
  });

  it('explains failed, hung and missing steps, and nothing for passed ones', () => {
    expect(explainStep(report, 'mount', 1, 'g.log')).toBeUndefined();
    expect(explainStep(report, 'write', 1, 'g.log')).toContain('md5 differs');
    expect(explainStep(report, 'hang', 124, 'g.log')).toMatch(/never finished.*timed out[\s\S]*still writing/);
    expect(explainStep(report, 'later', 124, 'g.log')).toContain('did not run (guest rc 124, hung in step hang');
  });
});
