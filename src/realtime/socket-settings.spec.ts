import { socketSettingsFromEnv } from './socket-settings.js';

describe('socketSettingsFromEnv', () => {
  it('reads nothing from an empty environment: the gateway keeps its defaults', () => {
    expect(socketSettingsFromEnv({})).toEqual({});
  });

  it("reads the seeds' variable names", () => {
    expect(
      socketSettingsFromEnv({
        ALLOWED_ORIGINS: 'http://localhost:3000, http://localhost:3001',
        CORS_ORIGINS: 'https://app.example.com,http://localhost:3000',
        SOCKET_PING_TIMEOUT: '30000',
        SOCKET_PING_INTERVAL: '25000',
        SOCKET_MAX_BUFFER_SIZE: '1048576',
        SOCKET_CORS_CREDENTIALS: 'false',
      }),
    ).toEqual({
      corsOrigins: [
        'https://app.example.com',
        'http://localhost:3000',
        'http://localhost:3001',
      ],
      pingTimeout: 30_000,
      pingInterval: 25_000,
      maxHttpBufferSize: 1_048_576,
      corsCredentials: false,
    });
    expect(socketSettingsFromEnv({ ALLOWED_ORIGINS: '*' })).toEqual({
      corsOrigins: '*',
    });
  });

  it.each([
    [
      'SOCKET_PING_TIMEOUT',
      '30s',
      /SOCKET_PING_TIMEOUT is "30s": give a whole number \(milliseconds\)/,
    ],
    ['SOCKET_PING_INTERVAL', '-1', /SOCKET_PING_INTERVAL is "-1"/],
    [
      'SOCKET_MAX_BUFFER_SIZE',
      '1e6',
      /SOCKET_MAX_BUFFER_SIZE is "1e6": give a whole number \(bytes\)/,
    ],
    [
      'SOCKET_MAX_BUFFER_SIZE',
      '104857601',
      /SOCKET_MAX_BUFFER_SIZE is 104857601: at most 104857600 \(100 MB\)/,
    ],
    [
      'SOCKET_CORS_CREDENTIALS',
      'yes',
      /SOCKET_CORS_CREDENTIALS is "yes": set it to true or false/,
    ],
  ])('refuses %s=%s by name', (name, value, message) => {
    expect(() => socketSettingsFromEnv({ [name]: value })).toThrow(message);
  });
});
