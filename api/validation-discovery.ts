// discovery/v1 validation: EndpointSlice (k8s.io/kubernetes pkg/apis/discovery/validation).

import { ipFamilyOfString } from '../std/index.js';
import { type FieldError, field } from './fielderrors.js';
import { isDNS1123Label, isDNS1123Subdomain, isQualifiedName, isValidLabelValue } from './names.js';
import type { EndpointSlice } from './types.js';
import { supportedPortProtocols } from './validation-core.js';
import { nameIsDNSSubdomain, validateNonSpecialIP, validateObjectMeta } from './validation-meta.js';

// --- EndpointSlice ---------------------------------------------------------------------------

const supportedAddressTypes = ['FQDN', 'IPv4', 'IPv6'];
export const maxEndpoints = 1000;
export const maxEndpointPorts = 100;
const maxAddresses = 100;
const maxZoneHints = 8;

export function validateEndpointSlice(es: EndpointSlice): FieldError[] {
  const errs = validateObjectMeta(es.metadata, true, nameIsDNSSubdomain);
  if (!es.addressType) errs.push(field.required('addressType'));
  else if (!supportedAddressTypes.includes(es.addressType))
    errs.push(field.notSupported('addressType', es.addressType, supportedAddressTypes));
  const endpoints = es.endpoints ?? [];
  if (endpoints.length > maxEndpoints) errs.push(field.tooMany('endpoints', endpoints.length, maxEndpoints));
  else
    endpoints.forEach((ep, i) => {
      const p = `endpoints[${i}]`;
      const addrs = ep.addresses ?? [];
      if (addrs.length === 0) errs.push(field.required(`${p}.addresses`, 'must contain at least 1 address'));
      else if (addrs.length > maxAddresses)
        errs.push(field.tooMany(`${p}.addresses`, addrs.length, maxAddresses));
      addrs.forEach((a, j) => {
        const ap = `${p}.addresses[${j}]`;
        if (es.addressType === 'IPv4' || es.addressType === 'IPv6') {
          if (ipFamilyOfString(a) !== es.addressType)
            errs.push(field.invalid(ap, a, `must be a valid ${es.addressType} address`));
          else errs.push(...validateNonSpecialIP(ap, a));
        } else if (es.addressType === 'FQDN') {
          const name = a.replace(/\.$/, '');
          const e = isDNS1123Subdomain(name);
          if (e.length > 0) errs.push(field.invalid(ap, name, e.join(',')));
          else if (name.split('.').length < 2)
            errs.push(
              field.invalid(ap, name, 'should be a domain with at least two segments separated by dots'),
            );
        }
      });
      if (ep.hostname !== undefined)
        for (const m of isDNS1123Label(ep.hostname))
          errs.push(field.invalid(`${p}.hostname`, ep.hostname, m));
      if (ep.nodeName !== undefined)
        for (const m of isDNS1123Subdomain(ep.nodeName))
          errs.push(field.invalid(`${p}.nodeName`, ep.nodeName, m));
      const zones = ep.hints?.forZones ?? [];
      if (zones.length > maxZoneHints)
        errs.push(field.tooMany(`${p}.hints.forZones`, zones.length, maxZoneHints));
      else {
        const seen = new Set<string>();
        zones.forEach((z, k) => {
          const zp = `${p}.hints.forZones[${k}].name`;
          if (seen.has(z.name)) errs.push(field.duplicate(zp, z.name));
          else seen.add(z.name);
          for (const m of isValidLabelValue(z.name)) errs.push(field.invalid(zp, z.name, m));
        });
      }
    });
  const ports = es.ports ?? [];
  if (ports.length > maxEndpointPorts) errs.push(field.tooMany('ports', ports.length, maxEndpointPorts));
  else {
    const names = new Set<string>();
    ports.forEach((port, i) => {
      const p = `ports[${i}]`;
      const name = port.name ?? '';
      if (name) for (const m of isDNS1123Label(name)) errs.push(field.invalid(`${p}.name`, name, m));
      if (names.has(name)) errs.push(field.duplicate(`${p}.name`, name));
      else names.add(name);
      if (!port.protocol) errs.push(field.required(`${p}.protocol`));
      else if (!supportedPortProtocols.includes(port.protocol))
        errs.push(field.notSupported(`${p}.protocol`, port.protocol, supportedPortProtocols));
      if (port.appProtocol !== undefined)
        for (const m of isQualifiedName(port.appProtocol))
          errs.push(field.invalid(`${p}.appProtocol`, port.appProtocol, m));
    });
  }
  return errs;
}
