import { describe, expect, it } from 'vitest'
import { addressKey } from './address-key.js'

describe('addressKey', () => {
  it('keeps IPv4 addresses, also IPv4-mapped ones', () => {
    expect(addressKey('192.0.2.1')).toBe('192.0.2.1')
    expect(addressKey('::ffff:192.0.2.1')).toBe('192.0.2.1')
    expect(addressKey('::FFFF:192.0.2.1')).toBe('192.0.2.1')
  })

  it('keys IPv6 addresses by their /64, however they are written', () => {
    const key = '2001:db8:1:2::/64'
    expect(addressKey('2001:db8:1:2::1')).toBe(key)
    expect(addressKey('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe(key)
    expect(addressKey('2001:0DB8:0001:0002:0000:0000:0000:0001')).toBe(key)
    expect(addressKey('2001:db8:1:2:a:b:192.0.2.1')).toBe(key)
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64')
    expect(addressKey('2001:db8:1:3::1')).not.toBe(key)
    expect(addressKey('::1')).toBe('0:0:0:0::/64')
    expect(addressKey('::')).toBe('0:0:0:0::/64')
  })

  it('leaves what is not an address alone', () => {
    expect(addressKey('unknown')).toBe('unknown')
    expect(addressKey('')).toBe('')
  })
})
