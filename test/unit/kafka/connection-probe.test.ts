import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alertOf } from '../../../src/kafka/connection-probe.js';

describe('alertOf', () => {
  it('reads the TLS alert name from the error codes of Node 20 (OpenSSL 3.0) and Node 24 (OpenSSL 3.2+ names)', () => {
    assert.equal(alertOf('ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE'), 'BAD_CERTIFICATE');
    assert.equal(alertOf('ERR_SSL_SSL/TLS_ALERT_BAD_CERTIFICATE'), 'BAD_CERTIFICATE');
    assert.equal(alertOf('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'), 'CERTIFICATE_REQUIRED');
    assert.equal(alertOf('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA'), 'UNKNOWN_CA');
    assert.equal(alertOf('ERR_SSL_SSL/TLS_ALERT_UNKNOWN_CA'), 'UNKNOWN_CA');
  });

  it('is undefined for errors that are not alerts', () => {
    assert.equal(alertOf('ECONNRESET'), undefined);
    assert.equal(alertOf('ERR_SSL_WRONG_VERSION_NUMBER'), undefined);
  });
});
