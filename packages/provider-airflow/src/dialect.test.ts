import { dagOf, dagRunOf, obj, str, taskInstanceOf } from './dialect';

const NUL = '\u0000';
const listedAt = new Date('2026-01-01T00:00:00Z');

describe('strings from Airflow', () => {
  it('lose U+0000, which PostgreSQL refuses in text and jsonb', () => {
    expect(str(`a${NUL}b${NUL}`)).toBe('ab');
    expect(str('plain')).toBe('plain');
    expect(str(5)).toBeNull();
    expect(obj({ [`k${NUL}`]: [`x${NUL}`, { deep: `y${NUL}z`, n: 1, b: true, nil: null }] })).toEqual({ k: ['x', { deep: 'yz', n: 1, b: true, nil: null }] });
    expect(obj([`a${NUL}`])).toBeNull();
  });

  it('leave no NUL in a DAG, a run (note and conf at any depth) or a task instance', () => {
    const dag = dagOf(
      { dag_id: 'etl', dag_display_name: `ETL${NUL}`, description: `Loads${NUL} data`, owners: [`al${NUL}ice`, NUL], tags: [{ name: `t${NUL}` }] },
      { schedule: null, nextRunAt: null },
    );
    expect(dag).toMatchObject({ externalId: 'etl', name: 'ETL', description: 'Loads data', owner: 'alice', tags: ['t'] });

    const run = dagRunOf(
      {
        dag_id: 'etl',
        dag_run_id: `manual${NUL}1`,
        state: 'success',
        run_type: 'manual',
        note: `see${NUL} ticket`,
        conf: { a: `x${NUL}y`, list: [{ b: `${NUL}` }] },
      },
      { logicalDate: null, queuedAt: null, durationSeconds: null },
      listedAt,
    );
    expect(run).toMatchObject({ externalId: 'manual1', note: 'see ticket', conf: { a: 'xy', list: [{ b: '' }] } });

    const task = taskInstanceOf(
      { dag_id: 'etl', dag_run_id: 'r', task_id: `t${NUL}`, state: `success${NUL}` },
      { operator: str(`Bash${NUL}Operator`) },
      [],
      listedAt,
    );
    expect(task).toMatchObject({ taskId: 't', nativeStatus: 'success', operator: 'BashOperator' });
    expect(JSON.stringify([dag, run, task])).not.toContain('\\u0000');
  });
});
