import { checkAirflowConfig } from './config';

const fieldOf = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return `${(err as { kind: string; details: Array<{ field: string }> }).kind}:${(err as { details: Array<{ field: string }> }).details[0]?.field}`;
  }
  return 'accepted';
};

describe('checkAirflowConfig', () => {
  it('normalizes base_url and keeps the credentials', () => {
    expect(checkAirflowConfig({ base_url: ' https://airflow.example.com/ ', username: 'u', password: 'p' })).toEqual({
      base_url: 'https://airflow.example.com',
      username: 'u',
      password: 'p',
    });
    expect(checkAirflowConfig({ base_url: 'http://h:8080/airflow', token: 't', api_version: 'v2' })).toEqual({
      base_url: 'http://h:8080/airflow',
      token: 't',
      api_version: 'v2',
    });
  });

  it('takes a pasted API path as the version', () => {
    expect(checkAirflowConfig({ base_url: 'http://h/api/v1/' })).toEqual({ base_url: 'http://h', api_version: 'v1' });
    expect(checkAirflowConfig({ base_url: 'http://h/x/api/v2' })).toEqual({ base_url: 'http://h/x', api_version: 'v2' });
  });

  it('drops empty secrets and the *_set flags the API shows', () => {
    expect(checkAirflowConfig({ base_url: 'http://h', token: '', password_set: true, token_set: false })).toEqual({ base_url: 'http://h' });
  });

  it('names the field it refuses', () => {
    expect(fieldOf(() => checkAirflowConfig({}))).toBe('invalid:config.base_url');
    expect(fieldOf(() => checkAirflowConfig({ base_url: 'ftp://h' }))).toBe('invalid:config.base_url');
    expect(fieldOf(() => checkAirflowConfig({ base_url: 'not a url' }))).toBe('invalid:config.base_url');
    expect(fieldOf(() => checkAirflowConfig({ base_url: 'http://u:p@h' }))).toBe('invalid:config.base_url');
    expect(fieldOf(() => checkAirflowConfig({ base_url: 'http://h?x=1' }))).toBe('invalid:config.base_url');
    expect(fieldOf(() => checkAirflowConfig({ base_url: 'http://h', api_version: 'v3' }))).toBe('invalid:config.api_version');
    expect(fieldOf(() => checkAirflowConfig({ base_url: 'http://h/api/v1', api_version: 'v2' }))).toBe('invalid:config.api_version');
    expect(fieldOf(() => checkAirflowConfig({ base_url: 'http://h', username: 'u' }))).toBe('invalid:config.password');
    expect(fieldOf(() => checkAirflowConfig({ base_url: 'http://h', password: 'p' }))).toBe('invalid:config.username');
    expect(fieldOf(() => checkAirflowConfig({ base_url: 'http://h', token: 5 }))).toBe('invalid:config.token');
    expect(fieldOf(() => checkAirflowConfig({ base_url: 'http://h', base_uri: 'x' }))).toBe('invalid:config.base_uri');
  });
});
