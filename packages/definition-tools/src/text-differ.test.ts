import { diffTexts } from './text-differ';

const differ = diffTexts();
const labels = { before: 'version 1', after: 'version 2' };

describe('diffTexts', () => {
  it('answers nothing for equal texts', () => {
    expect(differ.unified('name: a\n', 'name: a\n', labels)).toBe('');
  });

  it('answers a unified diff with the labels and three lines of context', () => {
    const before = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', ''].join('\n');
    const after = before.replace('e\n', 'E\n');
    expect(differ.unified(before, after, labels)).toBe(
      ['--- version 1', '+++ version 2', '@@ -2,7 +2,7 @@', ' b', ' c', ' d', '-e', '+E', ' f', ' g', ' h', ''].join('\n'),
    );
  });

  it('says when a text lacks its final newline', () => {
    expect(differ.unified('a\n', 'a', labels)).toContain('\\ No newline at end of file');
  });
});
