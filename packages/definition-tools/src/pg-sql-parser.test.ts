import { pgSqlParser } from './pg-sql-parser';

const parser = pgSqlParser();
const analyze = (sql: string) => parser.analyze(sql);

/** The offset of the `n`-th (0-based) occurrence of `needle` in `sql`. */
const at = (sql: string, needle: string, n = 0) => {
  let i = -1;
  for (let k = 0; k <= n; k++) i = sql.indexOf(needle, i + 1);
  if (i < 0) throw new Error(`${needle} not in ${sql}`);
  return i;
};

describe('pgSqlParser tables', () => {
  it('lists the tables of joins, schema-qualified names and subqueries, first use first, unique', async () => {
    const sql =
      'select * from orders o join sales.customers c on c.id = o.customer_id where o.id in (select order_id from refunds) and exists (select 1 from orders)';
    expect(await analyze(sql)).toEqual({
      ok: true,
      tables: [
        { schema: null, name: 'orders' },
        { schema: 'sales', name: 'customers' },
        { schema: null, name: 'refunds' },
      ],
      variables: [],
      statements: 1,
      positional: sql,
    });
  });

  it('leaves out CTE names, but not a table a CTE of the same name reads before it exists', async () => {
    const sql = 'with t as (select * from t), u as (select * from t join raw.events e on true) select * from u, v';
    const result = await analyze(sql);
    expect(result).toMatchObject({
      ok: true,
      tables: [
        { schema: null, name: 't' },
        { schema: 'raw', name: 'events' },
        { schema: null, name: 'v' },
      ],
    });
  });

  it('knows a recursive CTE refers to itself', async () => {
    const result = await analyze('with recursive r as (select 1 as n union all select n + 1 from r where n < 3) select * from r');
    expect(result).toMatchObject({ ok: true, tables: [] });
  });

  it('keeps a schema-qualified name even where a CTE has the bare name', async () => {
    const result = await analyze('with orders as (select 1) select * from orders, public.orders');
    expect(result).toMatchObject({ ok: true, tables: [{ schema: 'public', name: 'orders' }] });
  });

  it('lists the target of INSERT … SELECT, UPDATE … FROM and DELETE … USING', async () => {
    const sql = 'insert into analytics.daily select * from staging.daily where day > (select max(day) from analytics.daily)';
    expect(await analyze(sql)).toMatchObject({
      ok: true,
      tables: [
        { schema: 'analytics', name: 'daily' },
        { schema: 'staging', name: 'daily' },
      ],
    });
    expect(await analyze('update u set a = v.a from v where u.id = v.id')).toMatchObject({
      tables: [
        { schema: null, name: 'u' },
        { schema: null, name: 'v' },
      ],
    });
    expect(await analyze('delete from d using e where d.id = e.id')).toMatchObject({
      tables: [
        { schema: null, name: 'd' },
        { schema: null, name: 'e' },
      ],
    });
  });

  it('folds unquoted names as PostgreSQL does and keeps quoted ones', async () => {
    expect(await analyze('select * from Sales.Orders join "Mixed"."Case" on true')).toMatchObject({
      tables: [
        { schema: 'sales', name: 'orders' },
        { schema: 'Mixed', name: 'Case' },
      ],
    });
  });
});

describe('pgSqlParser variables', () => {
  it('finds :name in a comparison, with its offset', async () => {
    const sql = 'select * from events where created_at > :since';
    expect(await analyze(sql)).toMatchObject({ ok: true, variables: [{ name: 'since', offset: at(sql, ':since') }] });
  });

  it('finds a variable followed by a cast, once per name, first use first', async () => {
    const sql = 'select :limit_rows::int, :a, :b::text, :a';
    expect(await analyze(sql)).toMatchObject({
      ok: true,
      variables: [
        { name: 'limit_rows', offset: at(sql, ':limit_rows') },
        { name: 'a', offset: at(sql, ':a') },
        { name: 'b', offset: at(sql, ':b') },
      ],
    });
  });

  it('skips literals, quoted identifiers, comments, dollar quotes and casts', async () => {
    const sql = `select ':not_a_var', E'\\':nor_this', "col:x", $$ :c $$, $tag$ :d $tag$, x::int -- :e
      /* :f */ from t where y = :real`;
    expect(await analyze(sql)).toEqual({
      ok: true,
      tables: [{ schema: null, name: 't' }],
      variables: [{ name: 'real', offset: at(sql, ':real') }],
      statements: 1,
      // Only the variable is rewritten: what looks like one inside literals, identifiers and comments stays.
      positional: sql.replace(':real', ' $1'),
    });
  });

  it('numbers each variable once, in order of first use, for every use', async () => {
    const result = await analyze('select :b, :a, :b::int, x::text from t where c = :a');
    expect(result).toMatchObject({ ok: true, positional: 'select  $1,  $2,  $1::int, x::text from t where c =  $2' });
  });

  it('counts offsets in UTF-16 units after non-ASCII text', async () => {
    const sql = "select 'é😀' as café, :v";
    expect(await analyze(sql)).toMatchObject({ ok: true, variables: [{ name: 'v', offset: at(sql, ':v') }] });
  });

  it('finds a variable right after an operator or a parenthesis', async () => {
    const sql = 'select * from t where id=:id and day in(:day)';
    expect(await analyze(sql)).toMatchObject({
      ok: true,
      variables: [
        { name: 'id', offset: at(sql, ':id') },
        { name: 'day', offset: at(sql, ':day') },
      ],
    });
  });
});

describe('pgSqlParser errors and statements', () => {
  it('answers a syntax error with its offset', async () => {
    const sql = 'select a, b frm orders';
    expect(await analyze(sql)).toEqual({ ok: false, message: 'syntax error at or near "orders"', offset: at(sql, 'orders') });
  });

  it('maps an error after variables back to the text as written', async () => {
    const sql = 'select :first_variable, :b, :first_variable frm orders';
    expect(await analyze(sql)).toEqual({ ok: false, message: 'syntax error at or near "orders"', offset: at(sql, 'orders') });
  });

  it('maps an error after ten variables (longer replacements than names)', async () => {
    const names = Array.from({ length: 11 }, (_, i) => `:${String.fromCharCode(97 + i)}`);
    const sql = `select ${names.join(', ')} frm orders`;
    expect(await analyze(sql)).toMatchObject({ ok: false, offset: at(sql, 'orders') });
  });

  it('points at a misplaced variable itself', async () => {
    const sql = 'select * from :tbl';
    expect(await analyze(sql)).toMatchObject({ ok: false, offset: at(sql, ':tbl') });
  });

  it('counts error offsets in UTF-16 units after characters beyond the BMP', async () => {
    const sql = "select '😀é', :v frm orders";
    expect(await analyze(sql)).toMatchObject({ ok: false, offset: at(sql, 'orders') });
  });

  it('answers an unterminated literal with where it starts', async () => {
    const sql = "select :v, 'abc";
    expect(await analyze(sql)).toMatchObject({ ok: false, offset: at(sql, "'abc") });
  });

  it('points at the error in a later statement on a later line', async () => {
    const sql = 'select 1;\nselect from where';
    expect(await analyze(sql)).toMatchObject({ ok: false, offset: at(sql, 'where') });
  });

  it('counts statements', async () => {
    expect(await analyze('select 1; select * from t;\n insert into u values (1)')).toMatchObject({ ok: true, statements: 3 });
  });

  it('answers an empty or comment-only text with no statement', async () => {
    const none = (positional: string) => ({ ok: true, tables: [], variables: [], statements: 0, positional });
    expect(await analyze('')).toEqual(none(''));
    expect(await analyze('  \n ')).toEqual(none('  \n '));
    expect(await analyze('-- nothing here')).toEqual(none('-- nothing here'));
  });
});
