import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import type { EndpointSlice, Node, Service } from '../../api/index.js';
import { iptablesSaveManifests, syncNode } from '../../lab/tools/index.js';
import { storeFromManifests } from '../../lab/tools/objects.js';
import { Proxier, type ProxierOptions, parseIPSloppy, RuleTable } from '../../proxy/index.js';
import type { EndpointInfo } from '../../proxy/iptables/endpoints.js';
import { hash16 } from '../../proxy/iptables/naming.js';
import { computeProbability } from '../../proxy/iptables/probability.js';
import { serviceToServicePortMap } from '../../proxy/iptables/serviceport.js';
import { categorizeEndpoints } from '../../proxy/iptables/topology.js';
import { parseCIDRSloppy } from '../../proxy/ruletable/address.js';
import { applyRestore } from '../../proxy/ruletable/restore.js';
import { sortIPTablesRules } from '../../proxy/ruletable/sort.js';
import { acceptanceDir, fixtureARules } from './fixtures/index.js';

// Expected texts (after kube-proxy's test sort), as kube-proxy's tests keep them: inline; fixture A's
// is the acceptance file.
const FIXTURE_C = `*filter
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FIREWALL - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
-A KUBE-FORWARD -m conntrack --ctstate INVALID -m nfacct --nfacct-name ct_state_invalid_dropped_pkts -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A KUBE-PROXY-FIREWALL -m comment --comment "ns1/svc1:p80 traffic not accepted by KUBE-FW-XPGD46QRK7WJZT7O" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j DROP
COMMIT
*nat
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-EXT-XPGD46QRK7WJZT7O - [0:0]
:KUBE-FW-XPGD46QRK7WJZT7O - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-SEP-SXIVWICOYRO3J4NJ - [0:0]
:KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]
-A KUBE-NODEPORTS -m comment --comment ns1/svc1:p80 -m tcp -p tcp -d 127.0.0.0/8 --dport 3001 -m nfacct --nfacct-name localhost_nps_accepted_pkts -j KUBE-EXT-XPGD46QRK7WJZT7O
-A KUBE-NODEPORTS -m comment --comment ns1/svc1:p80 -m tcp -p tcp --dport 3001 -j KUBE-EXT-XPGD46QRK7WJZT7O
-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O
-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 external IP" -m tcp -p tcp -d 192.168.99.22 --dport 80 -j KUBE-EXT-XPGD46QRK7WJZT7O
-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 loadbalancer IP" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j KUBE-FW-XPGD46QRK7WJZT7O
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-EXT-XPGD46QRK7WJZT7O -m comment --comment "masquerade traffic for ns1/svc1:p80 external destinations" -j KUBE-MARK-MASQ
-A KUBE-EXT-XPGD46QRK7WJZT7O -j KUBE-SVC-XPGD46QRK7WJZT7O
-A KUBE-FW-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 loadbalancer IP" -s 203.0.113.0/25 -j KUBE-EXT-XPGD46QRK7WJZT7O
-A KUBE-FW-XPGD46QRK7WJZT7O -m comment --comment "other traffic to ns1/svc1:p80 will be dropped by KUBE-PROXY-FIREWALL"
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE
-A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -s 10.180.0.1 -j KUBE-MARK-MASQ
-A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80
-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -j KUBE-SEP-SXIVWICOYRO3J4NJ
COMMIT
`;

const EXPECTED_V6 = `*filter
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
-A KUBE-FORWARD -m conntrack --ctstate INVALID -m nfacct --nfacct-name ct_state_invalid_dropped_pkts -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
COMMIT
*nat
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-EXT-XPGD46QRK7WJZT7O - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-SEP-JN7HKNCH6UXE6EAD - [0:0]
:KUBE-SEP-RT5VHSJR44ZNF7G5 - [0:0]
:KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]
-A KUBE-NODEPORTS -m comment --comment ns1/svc1:p80 -m tcp -p tcp --dport 3001 -j KUBE-EXT-XPGD46QRK7WJZT7O
-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d fd00:172:30::41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O
-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 external IP" -m tcp -p tcp -d 2001:db8::99 --dport 80 -j KUBE-EXT-XPGD46QRK7WJZT7O
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL ! -d ::1/128 -j KUBE-NODEPORTS
-A KUBE-EXT-XPGD46QRK7WJZT7O -m comment --comment "masquerade traffic for ns1/svc1:p80 external destinations" -j KUBE-MARK-MASQ
-A KUBE-EXT-XPGD46QRK7WJZT7O -j KUBE-SVC-XPGD46QRK7WJZT7O
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE
-A KUBE-SEP-JN7HKNCH6UXE6EAD -m comment --comment ns1/svc1:p80 -s fd00:10::2 -j KUBE-MARK-MASQ
-A KUBE-SEP-JN7HKNCH6UXE6EAD -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination [fd00:10::2]:80
-A KUBE-SEP-RT5VHSJR44ZNF7G5 -m comment --comment ns1/svc1:p80 -s fd00:10::1 -j KUBE-MARK-MASQ
-A KUBE-SEP-RT5VHSJR44ZNF7G5 -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination [fd00:10::1]:80
-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d fd00:172:30::41 --dport 80 ! -s fd00:10::/64 -j KUBE-MARK-MASQ
-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> [fd00:10::1]:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-RT5VHSJR44ZNF7G5
-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> [fd00:10::2]:80" -j KUBE-SEP-JN7HKNCH6UXE6EAD
COMMIT
`;

const EXPECTED_ITP_NO_LOCAL = `*filter
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FIREWALL - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 has no local endpoints" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j DROP
-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
-A KUBE-FORWARD -m conntrack --ctstate INVALID -m nfacct --nfacct-name ct_state_invalid_dropped_pkts -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
COMMIT
*nat
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-POSTROUTING - [0:0]
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE
COMMIT
`;

const EXPECTED_ETP_LOCAL = `*filter
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FIREWALL - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
-A KUBE-FORWARD -m conntrack --ctstate INVALID -m nfacct --nfacct-name ct_state_invalid_dropped_pkts -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
COMMIT
*nat
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-EXT-XPGD46QRK7WJZT7O - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-SEP-LXVODXWDISEETFEF - [0:0]
:KUBE-SEP-SXIVWICOYRO3J4NJ - [0:0]
:KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]
:KUBE-SVL-XPGD46QRK7WJZT7O - [0:0]
-A KUBE-NODEPORTS -m comment --comment ns1/svc1:p80 -m tcp -p tcp -d 127.0.0.0/8 --dport 3001 -m nfacct --nfacct-name localhost_nps_accepted_pkts -j KUBE-EXT-XPGD46QRK7WJZT7O
-A KUBE-NODEPORTS -m comment --comment ns1/svc1:p80 -m tcp -p tcp --dport 3001 -j KUBE-EXT-XPGD46QRK7WJZT7O
-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-EXT-XPGD46QRK7WJZT7O -m comment --comment "pod traffic for ns1/svc1:p80 external destinations" -s 10.0.0.0/8 -j KUBE-SVC-XPGD46QRK7WJZT7O
-A KUBE-EXT-XPGD46QRK7WJZT7O -m comment --comment "masquerade LOCAL traffic for ns1/svc1:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ
-A KUBE-EXT-XPGD46QRK7WJZT7O -m comment --comment "route LOCAL traffic for ns1/svc1:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-SVC-XPGD46QRK7WJZT7O
-A KUBE-EXT-XPGD46QRK7WJZT7O -j KUBE-SVL-XPGD46QRK7WJZT7O
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE
-A KUBE-SEP-LXVODXWDISEETFEF -m comment --comment ns1/svc1:p80 -s 10.180.0.2 -j KUBE-MARK-MASQ
-A KUBE-SEP-LXVODXWDISEETFEF -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.2:80
-A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -s 10.180.0.1 -j KUBE-MARK-MASQ
-A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80
-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-SXIVWICOYRO3J4NJ
-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.2:80" -j KUBE-SEP-LXVODXWDISEETFEF
-A KUBE-SVL-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -j KUBE-SEP-SXIVWICOYRO3J4NJ
COMMIT
`;

const EXPECTED_TERMINATING_AFFINITY = `*filter
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FIREWALL - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
-A KUBE-FORWARD -m conntrack --ctstate INVALID -m nfacct --nfacct-name ct_state_invalid_dropped_pkts -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
COMMIT
*nat
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-SEP-WLNAITERLATZ7KHJ - [0:0]
:KUBE-SVC-AYLPSI7UY3HP5RJD - [0:0]
-A KUBE-SERVICES -m comment --comment "ns1/svc1:dns cluster IP" -m udp -p udp -d 172.30.0.41 --dport 53 -j KUBE-SVC-AYLPSI7UY3HP5RJD
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE
-A KUBE-SEP-WLNAITERLATZ7KHJ -m comment --comment ns1/svc1:dns -s 10.180.0.1 -j KUBE-MARK-MASQ
-A KUBE-SEP-WLNAITERLATZ7KHJ -m comment --comment ns1/svc1:dns -m recent --name KUBE-SEP-WLNAITERLATZ7KHJ --set -m udp -p udp -j DNAT --to-destination 10.180.0.1:5353
-A KUBE-SVC-AYLPSI7UY3HP5RJD -m comment --comment "ns1/svc1:dns cluster IP" -m udp -p udp -d 172.30.0.41 --dport 53 -j KUBE-MARK-MASQ
-A KUBE-SVC-AYLPSI7UY3HP5RJD -m comment --comment "ns1/svc1:dns -> 10.180.0.1:5353" -m recent --name KUBE-SEP-WLNAITERLATZ7KHJ --rcheck --seconds 300 --reap -j KUBE-SEP-WLNAITERLATZ7KHJ
-A KUBE-SVC-AYLPSI7UY3HP5RJD -m comment --comment "ns1/svc1:dns -> 10.180.0.1:5353" -j KUBE-SEP-WLNAITERLATZ7KHJ
COMMIT
`;

const EXPECTED_LB_FROM_NODE = `*filter
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FIREWALL - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
-A KUBE-FORWARD -m conntrack --ctstate INVALID -m nfacct --nfacct-name ct_state_invalid_dropped_pkts -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A KUBE-PROXY-FIREWALL -m comment --comment "ns1/svc1:p80 traffic not accepted by KUBE-FW-GFCIFIA5VTFSTMSM" -m sctp -p sctp -d 5.6.7.8 --dport 80 -j DROP
COMMIT
*nat
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-EXT-GFCIFIA5VTFSTMSM - [0:0]
:KUBE-FW-GFCIFIA5VTFSTMSM - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-SEP-RFW33Y6OHVBQ4W3M - [0:0]
:KUBE-SVC-GFCIFIA5VTFSTMSM - [0:0]
-A KUBE-NODEPORTS -m comment --comment ns1/svc1:p80 -m sctp -p sctp -d 127.0.0.0/8 --dport 3001 -m nfacct --nfacct-name localhost_nps_accepted_pkts -j KUBE-EXT-GFCIFIA5VTFSTMSM
-A KUBE-NODEPORTS -m comment --comment ns1/svc1:p80 -m sctp -p sctp --dport 3001 -j KUBE-EXT-GFCIFIA5VTFSTMSM
-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m sctp -p sctp -d 172.30.0.41 --dport 80 -j KUBE-SVC-GFCIFIA5VTFSTMSM
-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 loadbalancer IP" -m sctp -p sctp -d 5.6.7.8 --dport 80 -j KUBE-FW-GFCIFIA5VTFSTMSM
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-EXT-GFCIFIA5VTFSTMSM -m comment --comment "masquerade traffic for ns1/svc1:p80 external destinations" -j KUBE-MARK-MASQ
-A KUBE-EXT-GFCIFIA5VTFSTMSM -j KUBE-SVC-GFCIFIA5VTFSTMSM
-A KUBE-FW-GFCIFIA5VTFSTMSM -m comment --comment "ns1/svc1:p80 loadbalancer IP" -s 192.168.0.0/16 -j KUBE-EXT-GFCIFIA5VTFSTMSM
-A KUBE-FW-GFCIFIA5VTFSTMSM -m comment --comment "ns1/svc1:p80 loadbalancer IP" -s 5.6.7.8 -j KUBE-EXT-GFCIFIA5VTFSTMSM
-A KUBE-FW-GFCIFIA5VTFSTMSM -m comment --comment "other traffic to ns1/svc1:p80 will be dropped by KUBE-PROXY-FIREWALL"
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE
-A KUBE-SEP-RFW33Y6OHVBQ4W3M -m comment --comment ns1/svc1:p80 -s 10.180.0.1 -j KUBE-MARK-MASQ
-A KUBE-SEP-RFW33Y6OHVBQ4W3M -m comment --comment ns1/svc1:p80 -m sctp -p sctp -j DNAT --to-destination 10.180.0.1:80
-A KUBE-SVC-GFCIFIA5VTFSTMSM -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -j KUBE-SEP-RFW33Y6OHVBQ4W3M
COMMIT
`;

const EXPECTED_NOTHING_BUT_REJECT = `*filter
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FIREWALL - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 has no endpoints" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j REJECT
-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
-A KUBE-FORWARD -m conntrack --ctstate INVALID -m nfacct --nfacct-name ct_state_invalid_dropped_pkts -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
COMMIT
*nat
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-POSTROUTING - [0:0]
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE
COMMIT
`;

// Builders for the objects of kube-proxy's own tests (makeTestService / makeTestEndpointSlice).
function svc(ns: string, name: string, spec: Partial<Service['spec']>, status?: Service['status']): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { namespace: ns, name },
    spec: { type: 'ClusterIP', ports: [{ name: 'p80', port: 80, protocol: 'TCP' }], ...spec },
    ...(status ? { status } : {}),
  };
}

function slice(
  ns: string,
  svcName: string,
  endpoints: EndpointSlice['endpoints'],
  ports: EndpointSlice['ports'] = [{ name: 'p80', port: 80, protocol: 'TCP' }],
  opts: { name?: string; addressType?: 'IPv4' | 'IPv6' } = {},
): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      namespace: ns,
      name: opts.name ?? `${svcName}-abcde`,
      labels: { 'kubernetes.io/service-name': svcName },
    },
    addressType: opts.addressType ?? 'IPv4',
    endpoints,
    ports,
  };
}

const testOptions: ProxierOptions = {
  nodeName: 'test-node',
  nodeIPs: ['192.168.0.2'],
  clusterCIDRs: ['10.0.0.0/8'],
  minSyncPeriod: 0,
};

function sync(objs: (Service | EndpointSlice | Node)[], opts: Partial<ProxierOptions> = {}): string {
  const p = new Proxier({ ...testOptions, ...opts });
  for (const o of objs) {
    if (o.kind === 'Service') p.onServiceAdd(o);
    else if (o.kind === 'EndpointSlice') p.onEndpointSliceAdd(o);
    else p.onNodeAdd(o);
  }
  p.markSynced();
  return p.syncProxyRules().payload;
}

/** kube-proxy's assertIPTablesRulesEqual with checkConsistency: sorted text, no dangling jumps. */
function assertRules(t: Test, payload: string, expected: string, msg: string): void {
  t.equal(sortIPTablesRules(payload), expected, msg);
  t.doesNotThrow(
    () => applyRestore(new RuleTable(), RuleTable.parse(payload)),
    `${msg}: every jump has a chain`,
  );
}

function chainOf(payload: string, table: string, chain: string): string[] {
  const sorted = sortIPTablesRules(payload);
  const body = sorted.split(`*${table}\n`)[1]!.split('COMMIT')[0]!;
  return body.split('\n').filter((l) => l.startsWith(`-A ${chain} `));
}

t.test('fixture A (TestOverallIPTablesRules) through the manifest loader and node flags', async (t) => {
  const { store } = storeFromManifests([join(acceptanceDir, 'fixture-a.yaml')]);
  const { result } = syncNode(store, { hostnameOverride: 'test-node', clusterCidr: '10.0.0.0/8' });
  t.equal(result.full, true, 'the first sync is full');
  assertRules(t, result.payload, fixtureARules, 'fixture-a.iptables');
  t.equal(result.natRulesTotal, 55, 'IPTablesRulesTotal{table="nat"} as the upstream test asserts');
});

t.test('chain names: sha256, base32, 16 characters (kube-proxy servicePortChainName)', async (t) => {
  const cases: [string, string][] = [
    ['ns1/svc1:p80tcp', 'XPGD46QRK7WJZT7O'],
    ['ns2/svc2:p80tcp', 'GNZBNJ2PO5MGZ6GT'],
    ['ns2/svc2:p8080tcp', '2VJB64SDSIJUP5T6'],
    ['ns4/svc4:p8082tcp', 'EBDQOQU5SJFXRIL3'],
    ['ns1/svc1:p80tcp10.180.0.1:80', 'SXIVWICOYRO3J4NJ'],
    ['ns5/svc5:p80tcp10.180.0.3:80', 'I77PXRDZVX7PMWMN'],
    ['ns3/svc3:p8081tcp203.0.113.4:8081', 'RUVVH7YV3PHQBDOS'],
    ['ns1/svc1tcp', 'AQI2S6QIMU7PVVRP'],
    ['ns1/svc1tcp10.0.1.1:80', '3JOIVZTXZZRGORX4'],
    ['default/kubernetes:httpstcp', 'NPX46M4PTMTKRN6Y'],
    ['kube-system/kube-dns:dnsudp', 'TCOU7JCQXEZGVUNU'],
    ['kube-system/kube-dns:dns-tcptcp', 'ERIFXISQEP7F7OF4'],
    ['kube-system/kube-dns:metricstcp', 'JD5MR3NA4I4DYORP'],
  ];
  for (const [input, want] of cases) t.equal(hash16(input), want, input);
  const m = serviceToServicePortMap(
    svc('ns1', 'svc1', { clusterIP: '172.30.0.41', ports: [{ port: 80 }] }),
    'IPv4',
  );
  t.equal([...m.values()][0]!.clusterPolicyChainName, 'KUBE-SVC-AQI2S6QIMU7PVVRP', 'unnamed port: no colon');
});

t.test('addresses read as ParseIPSloppy / ParseCIDRSloppy and printed as Go prints them', async (t) => {
  const ips: [string, string | null][] = [
    ['10.180.00.001', '10.180.0.1'],
    ['0001.2.3.4', '1.2.3.4'],
    ['256.1.1.1', null],
    ['1.2.3', null],
    ['1..2.3', null],
    ['FD00:10:0::2', 'fd00:10::2'],
    ['2001:DB8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['::ffff:1.2.3.4', '1.2.3.4'],
    ['::', '::'],
    ['fd00::1::2', null],
    ['', null],
  ];
  for (const [input, want] of ips)
    t.equal(parseIPSloppy(input)?.text ?? null, want, `IP ${JSON.stringify(input)}`);
  const cidrs: [string, string | null][] = [
    ['203.0.113.000/025', '203.0.113.0/25'],
    ['10.0.0.5/8', '10.0.0.0/8'],
    ['2001:db8::1/48', '2001:db8::/48'],
    ['1.2.3.4/33', null],
    ['1.2.3.4', null],
  ];
  for (const [input, want] of cidrs) t.equal(parseCIDRSloppy(input)?.text ?? null, want, `CIDR ${input}`);
});

t.test('probabilities: %0.10f of 1/n (TestComputeProbability)', async (t) => {
  const cases: [number, string][] = [
    [1, '1.0000000000'],
    [2, '0.5000000000'],
    [3, '0.3333333333'],
    [6, '0.1666666667'],
    [10, '0.1000000000'],
    [100, '0.0100000000'],
    [1000, '0.0010000000'],
    [2048, '0.0004882812'],
    [10000, '0.0001000000'],
    [100000, '0.0000100000'],
    [100001, '0.0000099999'],
  ];
  for (const [n, want] of cases) t.equal(computeProbability(n), want, `n=${n}`);
  let prev = computeProbability(100000);
  let increasing = true;
  for (let n = 99999; n >= 2; n -= 7) {
    const p = computeProbability(n);
    if (!(Number(p) >= Number(prev))) increasing = false;
    prev = p;
  }
  t.ok(increasing, 'never decreases as n decreases');
});

t.test('fixture C (TestBadIPs): sloppy IPs and CIDRs are normalised', async (t) => {
  const payload = sync([
    svc(
      'ns1',
      'svc1',
      {
        type: 'LoadBalancer',
        clusterIP: '172.30.0.41',
        externalIPs: ['192.168.099.022', 'fd00::1'],
        loadBalancerSourceRanges: [' 203.0.113.000/025 ', '2001:db8::/48'],
        ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3001 }],
      },
      { loadBalancer: { ingress: [{ ip: '1.2.3.4' }, { ip: 'fd00::2' }] } },
    ),
    slice('ns1', 'svc1', [{ addresses: ['10.180.00.001'] }]),
  ]);
  assertRules(t, payload, FIXTURE_C, 'TestBadIPs expected text');
});

const base = [
  svc('ns1', 'svc1', { clusterIP: '172.30.0.41' }),
  slice('ns1', 'svc1', [{ addresses: ['10.180.0.1'] }]),
];

t.test('single-chain expectations (TestMasqueradeRule, TestDropInvalidRule, TestNodePorts)', async (t) => {
  const cases: {
    name: string;
    opts: Partial<ProxierOptions>;
    table: string;
    chain: string;
    want: string[];
  }[] = [
    {
      name: 'masquerade rule',
      opts: {},
      table: 'nat',
      chain: 'KUBE-POSTROUTING',
      want: [
        '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
        '-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000',
        '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE',
      ],
    },
    {
      name: 'masquerade rule with --random-fully',
      opts: { randomFully: true },
      table: 'nat',
      chain: 'KUBE-POSTROUTING',
      want: [
        '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
        '-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000',
        '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
      ],
    },
    {
      name: 'drop INVALID without nfacct',
      opts: { nfacct: false },
      table: 'filter',
      chain: 'KUBE-FORWARD',
      want: [
        '-A KUBE-FORWARD -m conntrack --ctstate INVALID -j DROP',
        '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT',
        '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      ],
    },
    {
      name: 'no INVALID rule when nf_conntrack_tcp_be_liberal is set',
      opts: { conntrackTCPLiberal: true },
      table: 'filter',
      chain: 'KUBE-FORWARD',
      want: [
        '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT',
        '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      ],
    },
    {
      name: 'masquerade bit 0',
      opts: { masqueradeBit: 0 },
      table: 'nat',
      chain: 'KUBE-MARK-MASQ',
      want: ['-A KUBE-MARK-MASQ -j MARK --or-mark 0x1'],
    },
    {
      name: 'KUBE-FIREWALL with localhost NodePorts',
      opts: {},
      table: 'filter',
      chain: 'KUBE-FIREWALL',
      want: [
        '-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
      ],
    },
    {
      name: 'no KUBE-FIREWALL when NodePort addresses leave out loopback',
      opts: { nodePortAddresses: ['192.168.0.0/24'] },
      table: 'filter',
      chain: 'KUBE-FIREWALL',
      want: [],
    },
    {
      name: 'no KUBE-FIREWALL with --iptables-localhost-nodeports=false',
      opts: { localhostNodePorts: false },
      table: 'filter',
      chain: 'KUBE-FIREWALL',
      want: [],
    },
  ];
  for (const c of cases) t.same(chainOf(sync(base, c.opts), c.table, c.chain), c.want, c.name);
});

t.test('NodePort addresses: the KUBE-SERVICES tail rule', async (t) => {
  const tail =
    '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain"';
  const cases: { name: string; opts: Partial<ProxierOptions>; want: string[] }[] = [
    { name: 'all addresses', opts: {}, want: [`${tail} -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS`] },
    {
      name: 'localhost NodePorts off',
      opts: { localhostNodePorts: false },
      want: [`${tail} -m addrtype --dst-type LOCAL ! -d 127.0.0.0/8 -j KUBE-NODEPORTS`],
    },
    {
      name: 'one CIDR',
      opts: { nodeIPs: ['192.168.0.2', '10.1.2.3'], nodePortAddresses: ['192.168.0.0/24'] },
      want: [`${tail} -d 192.168.0.2 -j KUBE-NODEPORTS`],
    },
    {
      name: 'CIDRs with loopback',
      opts: { nodeIPs: ['192.168.0.2'], nodePortAddresses: ['192.168.0.0/24', '127.0.0.0/8'] },
      want: [`${tail} -d 127.0.0.1 -j KUBE-NODEPORTS`, `${tail} -d 192.168.0.2 -j KUBE-NODEPORTS`],
    },
    {
      name: 'primary',
      opts: { nodeIPs: ['192.168.0.2', '10.1.2.3'], nodePortAddresses: ['primary'] },
      want: [`${tail} -d 192.168.0.2 -j KUBE-NODEPORTS`],
    },
  ];
  for (const c of cases) {
    const rules = chainOf(sync(base, c.opts), 'nat', 'KUBE-SERVICES').filter((l) => l.includes('NOTE'));
    t.same(rules, c.want, c.name);
  }
});

t.test('IPv6: one table set per family', async (t) => {
  const objs = [
    svc('ns1', 'svc1', {
      type: 'NodePort',
      clusterIP: 'fd00:172:30::41',
      clusterIPs: ['172.30.0.41', 'fd00:172:30::41'],
      externalIPs: ['192.168.99.11', '2001:db8::99'],
      ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3001 }],
    }),
    slice(
      'ns1',
      'svc1',
      [{ addresses: ['fd00:10::1'], nodeName: 'test-node' }, { addresses: ['FD00:10:0::2'] }],
      undefined,
      {
        name: 'svc1-v6',
        addressType: 'IPv6',
      },
    ),
    slice('ns1', 'svc1', [{ addresses: ['10.180.0.1'] }], undefined, { name: 'svc1-v4' }),
  ];
  const v6 = sync(objs, {
    ipFamily: 'IPv6',
    nodeIPs: ['192.168.0.2', '2001:db8::1'],
    clusterCIDRs: ['10.0.0.0/8,fd00:10::/64'],
  });
  assertRules(t, v6, EXPECTED_V6, 'IPv6 payload');
  const v4 = sync(objs);
  t.match(
    v4,
    /-d 172\.30\.0\.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O/,
    'the IPv4 proxier uses the IPv4 cluster IP',
  );
  t.notMatch(v4, /fd00/, 'and nothing of the other family');
});

t.test('policies and features, one service at a time', async (t) => {
  const cases: {
    name: string;
    objs: (Service | EndpointSlice)[];
    opts?: Partial<ProxierOptions>;
    want: string;
  }[] = [
    {
      name: 'internalTrafficPolicy Local with no local endpoint: DROP, no nat rules',
      objs: [
        svc('ns1', 'svc1', { clusterIP: '172.30.0.41', internalTrafficPolicy: 'Local' }),
        slice('ns1', 'svc1', [{ addresses: ['10.180.0.1'], nodeName: 'other-node' }]),
      ],
      want: EXPECTED_ITP_NO_LOCAL,
    },
    {
      name: 'externalTrafficPolicy Local with a local endpoint, a remote one and a terminating one',
      objs: [
        svc('ns1', 'svc1', {
          type: 'NodePort',
          clusterIP: '172.30.0.41',
          externalTrafficPolicy: 'Local',
          ports: [{ name: 'p80', port: 80, protocol: 'TCP', nodePort: 3001 }],
        }),
        slice('ns1', 'svc1', [
          { addresses: ['10.180.0.1'], nodeName: 'test-node' },
          { addresses: ['10.180.0.2'], nodeName: 'other-node' },
          {
            addresses: ['10.180.0.3'],
            nodeName: 'test-node',
            conditions: { ready: false, serving: true, terminating: true },
          },
        ]),
      ],
      want: EXPECTED_ETP_LOCAL,
    },
    {
      name: 'only serving+terminating endpoints: used as fallback; --masquerade-all; UDP; affinity',
      objs: [
        svc('ns1', 'svc1', {
          clusterIP: '172.30.0.41',
          sessionAffinity: 'ClientIP',
          sessionAffinityConfig: { clientIP: { timeoutSeconds: 300 } },
          ports: [{ name: 'dns', port: 53, protocol: 'UDP' }],
        }),
        slice(
          'ns1',
          'svc1',
          [
            { addresses: ['10.180.0.1'], conditions: { ready: false, serving: true, terminating: true } },
            { addresses: ['10.180.0.2'], conditions: { ready: false, serving: false, terminating: true } },
          ],
          [{ name: 'dns', port: 5353, protocol: 'UDP' }],
        ),
      ],
      opts: { masqueradeAll: true },
      want: EXPECTED_TERMINATING_AFFINITY,
    },
    {
      name: 'LoadBalancer with source ranges that include the node: LB IP as source allowed; SCTP; no cluster CIDR',
      objs: [
        svc(
          'ns1',
          'svc1',
          {
            type: 'LoadBalancer',
            clusterIP: '172.30.0.41',
            loadBalancerSourceRanges: ['192.168.0.0/16'],
            ports: [{ name: 'p80', port: 80, protocol: 'SCTP', nodePort: 3001 }],
          },
          { loadBalancer: { ingress: [{ ip: '5.6.7.8' }, { ip: '9.9.9.9', ipMode: 'Proxy' }] } },
        ),
        slice('ns1', 'svc1', [{ addresses: ['10.180.0.1'] }], [{ name: 'p80', port: 80, protocol: 'SCTP' }]),
      ],
      opts: { clusterCIDRs: [] },
      want: EXPECTED_LB_FROM_NODE,
    },
    {
      name: 'headless and ExternalName Services and a slice without a matching port get nothing',
      objs: [
        svc('ns1', 'headless', { clusterIP: 'None' }),
        svc('ns1', 'ext', { type: 'ExternalName', externalName: 'example.com' }),
        svc('ns1', 'svc1', { clusterIP: '172.30.0.41' }),
        slice('ns1', 'svc1', [{ addresses: ['10.180.0.1'] }], [{ name: 'other', port: 80, protocol: 'TCP' }]),
        slice('ns1', 'headless', [{ addresses: ['10.180.0.9'] }]),
      ],
      want: EXPECTED_NOTHING_BUT_REJECT,
    },
  ];
  for (const c of cases) assertRules(t, sync(c.objs, c.opts), c.want, c.name);
});

t.test('no-local-endpoints counts (TestNoEndpointsMetric)', async (t) => {
  const cases: {
    name: string;
    itp?: 'Local';
    etp?: 'Local';
    nodes: string[];
    internal: number;
    external: number;
  }[] = [
    {
      name: 'iTP Local, local endpoints',
      itp: 'Local',
      nodes: ['test-node', 'host1', 'host2'],
      internal: 0,
      external: 0,
    },
    {
      name: 'eTP Local, local endpoints',
      etp: 'Local',
      nodes: ['test-node', 'host1', 'host2'],
      internal: 0,
      external: 0,
    },
    {
      name: 'both, local endpoints',
      itp: 'Local',
      etp: 'Local',
      nodes: ['test-node', 'host1'],
      internal: 0,
      external: 0,
    },
    {
      name: 'iTP Local, no local endpoints',
      itp: 'Local',
      nodes: ['host0', 'host1', 'host2'],
      internal: 1,
      external: 0,
    },
    {
      name: 'eTP Local, no local endpoints',
      etp: 'Local',
      nodes: ['host0', 'host1', 'host2'],
      internal: 0,
      external: 1,
    },
    {
      name: 'both, no local endpoints',
      itp: 'Local',
      etp: 'Local',
      nodes: ['host0', 'host1'],
      internal: 1,
      external: 1,
    },
    { name: 'both, no endpoints at all', itp: 'Local', etp: 'Local', nodes: [], internal: 0, external: 0 },
  ];
  for (const c of cases) {
    const p = new Proxier(testOptions);
    p.onServiceAdd(
      svc('ns1', 'svc1', {
        clusterIP: '172.30.1.1',
        ...(c.etp ? { type: 'NodePort' as const, externalTrafficPolicy: c.etp } : {}),
        ...(c.itp ? { internalTrafficPolicy: c.itp } : {}),
        ports: [{ name: '', port: 80, protocol: 'TCP', nodePort: 123 }],
      }),
    );
    p.onEndpointSliceAdd(
      slice(
        'ns1',
        'svc1',
        c.nodes.map((n, i) => ({ addresses: [`10.0.1.${i + 1}`], conditions: { ready: true }, nodeName: n })),
        [{ name: '', port: 80, protocol: 'TCP' }],
      ),
    );
    t.same(p.syncProxyRules().noLocalEndpoints, { internal: c.internal, external: c.external }, c.name);
  }
});

t.test('large-cluster mode (TestSyncProxyRulesLargeClusterMode)', async (t) => {
  // countEndpointsAndComments: the DNAT rules of KUBE-SEP chains, those with a comment, and one of them.
  const count = (payload: string, match: string) => {
    let endpoints = 0;
    let comments = 0;
    let matched = '';
    for (const line of payload.split('\n')) {
      if (!line.startsWith('-A KUBE-SEP-') || !line.includes('-j DNAT')) continue;
      endpoints++;
      if (line.includes('--comment')) comments++;
      if (line.includes(match)) matched = line;
    }
    return { matched, endpoints, comments };
  };
  let clock = 0;
  const p = new Proxier({ ...testOptions, masqueradeAll: true, syncPeriod: 30_000, now: () => clock });
  const eps = (net: number) =>
    Array.from({ length: 499 }, (_, i) => ({ addresses: [`10.${net}.${i % 256}.${Math.floor(i / 256)}`] }));
  p.onServiceAdd(svc('ns1', 'svc1', { clusterIP: '172.30.0.41' }));
  p.onServiceAdd(
    svc('ns2', 'svc2', { clusterIP: '172.30.0.42', ports: [{ name: 'p8080', port: 8080, protocol: 'TCP' }] }),
  );
  p.onServiceAdd(
    svc('ns3', 'svc3', { clusterIP: '172.30.0.43', ports: [{ name: 'p8081', port: 8081, protocol: 'TCP' }] }),
  );
  p.onEndpointSliceAdd(slice('ns1', 'svc1', eps(0)));
  p.onEndpointSliceAdd(slice('ns2', 'svc2', eps(1), [{ name: 'p8080', port: 8080, protocol: 'TCP' }]));
  let r = p.syncProxyRules();
  t.same(count(r.payload, '10.0.0.0'), {
    matched:
      '-A KUBE-SEP-DKGQUZGBKLTPAR56 -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.0.0.0:80',
    endpoints: 998,
    comments: 998,
  });
  p.onEndpointSliceAdd(
    slice(
      'ns3',
      'svc3',
      [{ addresses: ['203.0.113.4'] }, { addresses: ['203.0.113.8'] }, { addresses: ['203.0.113.12'] }],
      [{ name: 'p8081', port: 8081, protocol: 'TCP' }],
    ),
  );
  r = p.syncProxyRules();
  t.same(
    count(r.payload, '203.0.113.4'),
    {
      matched: '-A KUBE-SEP-RUVVH7YV3PHQBDOS -m tcp -p tcp -j DNAT --to-destination 203.0.113.4:8081',
      endpoints: 3,
      comments: 0,
    },
    'crossing the threshold: only svc3 is written, without comments',
  );
  t.match(
    r.payload,
    '-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP"',
    'KUBE-SERVICES keeps its comments',
  );
  p.forceFullSync();
  r = p.syncProxyRules();
  t.same(count(r.payload, '10.0.0.0'), {
    matched: '-A KUBE-SEP-DKGQUZGBKLTPAR56 -m tcp -p tcp -j DNAT --to-destination 10.0.0.0:80',
    endpoints: 1001,
    comments: 0,
  });
  const svc4 = svc('ns4', 'svc4', {
    clusterIP: '172.30.0.44',
    ports: [{ name: 'p8082', port: 8082, protocol: 'TCP' }],
  });
  p.onServiceAdd(svc4);
  p.onEndpointSliceAdd(
    slice('ns4', 'svc4', [{ addresses: ['10.4.0.1'] }], [{ name: 'p8082', port: 8082, protocol: 'TCP' }]),
  );
  r = p.syncProxyRules();
  t.same(count(r.payload, '10.4.0.1'), {
    matched: '-A KUBE-SEP-SU5STNODRYEWJAUF -m tcp -p tcp -j DNAT --to-destination 10.4.0.1:8082',
    endpoints: 1,
    comments: 0,
  });
  p.onServiceDelete(svc4);
  r = p.syncProxyRules();
  t.same(count(r.payload, '10.4.0.1'), { matched: '', endpoints: 0, comments: 0 }, 'svc4 deleted');
  t.notMatch(r.payload, '-X ', 'large cluster: stale chains wait for the next clean-up');
  clock += 30_001;
  r = p.syncProxyRules();
  t.same(
    r.deletedChains,
    ['KUBE-SEP-SU5STNODRYEWJAUF', 'KUBE-SVC-EBDQOQU5SJFXRIL3'],
    'a syncPeriod later they go',
  );
  t.match(r.payload, '\n-X KUBE-SVC-EBDQOQU5SJFXRIL3\n');
  t.match(r.payload, '\n-X KUBE-SEP-SU5STNODRYEWJAUF\n');
  p.forceFullSync();
  t.equal(count(p.syncProxyRules().payload, '').endpoints, 1001, 'full resync');
});

t.test('topology: CategorizeEndpoints', async (t) => {
  const ep = (ip: string, o: Partial<EndpointInfo> = {}): EndpointInfo => ({
    ip,
    port: 80,
    endpoint: `${ip}:80`,
    isLocal: false,
    nodeName: '',
    ready: true,
    serving: true,
    terminating: false,
    zoneHints: null,
    nodeHints: null,
    chainName: `SEP-${ip}`,
    ...o,
  });
  const svcInfo = (spec: Partial<Service['spec']>) =>
    [...serviceToServicePortMap(svc('ns', 's', { clusterIP: '10.96.0.1', ...spec }), 'IPv4').values()][0]!;
  const names = (l: EndpointInfo[] | null) => (l === null ? null : l.map((e) => e.ip).join(','));
  const zoneA = { 'topology.kubernetes.io/zone': 'zone-a' };
  const cases: {
    name: string;
    spec: Partial<Service['spec']>;
    eps: EndpointInfo[];
    labels?: Record<string, string>;
    cluster: string | null;
    local: string | null;
    all: string;
    any: boolean;
  }[] = [
    {
      name: 'ready endpoints, no hints',
      spec: {},
      eps: [ep('10.0.0.1'), ep('10.0.0.2', { ready: false, serving: false })],
      cluster: '10.0.0.1',
      local: null,
      all: '10.0.0.1',
      any: true,
    },
    {
      name: 'PreferSameZone hints for the node zone',
      spec: {},
      eps: [
        ep('10.0.0.1', { zoneHints: new Set(['zone-a']) }),
        ep('10.0.0.2', { zoneHints: new Set(['zone-b']) }),
      ],
      labels: zoneA,
      cluster: '10.0.0.1',
      local: null,
      all: '10.0.0.1',
      any: true,
    },
    {
      name: 'zone hints but one endpoint lacks them: ignored',
      spec: {},
      eps: [ep('10.0.0.1', { zoneHints: new Set(['zone-a']) }), ep('10.0.0.2')],
      labels: zoneA,
      cluster: '10.0.0.1,10.0.0.2',
      local: null,
      all: '10.0.0.1,10.0.0.2',
      any: true,
    },
    {
      name: 'zone hints but none for this zone (or no zone label): ignored',
      spec: {},
      eps: [
        ep('10.0.0.1', { zoneHints: new Set(['zone-b']) }),
        ep('10.0.0.2', { zoneHints: new Set(['zone-c']) }),
      ],
      cluster: '10.0.0.1,10.0.0.2',
      local: null,
      all: '10.0.0.1,10.0.0.2',
      any: true,
    },
    {
      name: 'PreferSameNode hints win over zone hints',
      spec: {},
      eps: [
        ep('10.0.0.1', { nodeHints: new Set(['test-node']), zoneHints: new Set(['zone-a']) }),
        ep('10.0.0.2', { nodeHints: new Set(['node-2']), zoneHints: new Set(['zone-a']) }),
      ],
      labels: zoneA,
      cluster: '10.0.0.1',
      local: null,
      all: '10.0.0.1',
      any: true,
    },
    {
      name: 'no ready endpoint: serving+terminating fallback ignores topology',
      spec: {},
      eps: [
        ep('10.0.0.1', { ready: false, terminating: true, zoneHints: new Set(['zone-b']) }),
        ep('10.0.0.2', { ready: false, serving: false, terminating: true }),
      ],
      labels: zoneA,
      cluster: '10.0.0.1',
      local: null,
      all: '10.0.0.1',
      any: true,
    },
    {
      name: 'internalTrafficPolicy Local: local ready only, no cluster endpoints',
      spec: { internalTrafficPolicy: 'Local' },
      eps: [ep('10.0.0.1', { isLocal: true }), ep('10.0.0.2')],
      cluster: null,
      local: '10.0.0.1',
      all: '10.0.0.1',
      any: true,
    },
    {
      name: 'internalTrafficPolicy Local without local endpoints: nothing here, but endpoints exist',
      spec: { internalTrafficPolicy: 'Local' },
      eps: [ep('10.0.0.2')],
      cluster: null,
      local: null,
      all: '',
      any: true,
    },
    {
      name: 'externalTrafficPolicy Local: local terminating fallback merged with remote ready',
      spec: {
        type: 'NodePort',
        externalTrafficPolicy: 'Local',
        ports: [{ name: 'p80', port: 80, nodePort: 30080 }],
      },
      eps: [ep('10.0.0.3', { isLocal: true, ready: false, terminating: true }), ep('10.0.0.2')],
      cluster: '10.0.0.2',
      local: '10.0.0.3',
      all: '10.0.0.2,10.0.0.3',
      any: true,
    },
    {
      name: 'nothing usable anywhere',
      spec: {
        type: 'NodePort',
        externalTrafficPolicy: 'Local',
        ports: [{ name: 'p80', port: 80, nodePort: 30080 }],
      },
      eps: [ep('10.0.0.3', { isLocal: true, ready: false, serving: false })],
      cluster: '',
      local: null,
      all: '',
      any: false,
    },
  ];
  for (const c of cases) {
    const r = categorizeEndpoints(c.eps, svcInfo(c.spec), 'test-node', c.labels ?? {});
    t.same(
      {
        cluster: names(r.clusterEndpoints),
        local: names(r.localEndpoints),
        all: names(r.allReachableEndpoints),
        any: r.hasAnyEndpoints,
      },
      { cluster: c.cluster, local: c.local, all: c.all, any: c.any },
      c.name,
    );
  }
});

t.test('trafficDistribution hints and the node zone label pick the endpoints of the SVC chain', async (t) => {
  const p = new Proxier(testOptions);
  t.teardown(() => p.stop());
  const zoneNode = (zone: string): Node => ({
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'test-node', labels: { 'topology.kubernetes.io/zone': zone } },
  });
  p.onNodeAdd(zoneNode('zone-a'));
  p.onServiceAdd(svc('ns1', 'svc1', { clusterIP: '172.30.0.41', trafficDistribution: 'PreferClose' }));
  p.onServiceAdd(svc('ns2', 'svc2', { clusterIP: '172.30.0.42', trafficDistribution: 'PreferSameNode' }));
  p.onEndpointSliceAdd(
    slice('ns1', 'svc1', [
      { addresses: ['10.180.0.1'], zone: 'zone-a', hints: { forZones: [{ name: 'zone-a' }] } },
      { addresses: ['10.180.0.2'], zone: 'zone-b', hints: { forZones: [{ name: 'zone-b' }] } },
      { addresses: ['10.180.0.3'], zone: 'zone-b', hints: { forZones: [{ name: 'zone-b' }] } },
    ]),
  );
  p.onEndpointSliceAdd(
    slice('ns2', 'svc2', [
      {
        addresses: ['10.180.1.1'],
        nodeName: 'test-node',
        hints: { forNodes: [{ name: 'test-node' }], forZones: [{ name: 'zone-a' }] },
      },
      {
        addresses: ['10.180.1.2'],
        nodeName: 'node-2',
        hints: { forNodes: [{ name: 'node-2' }], forZones: [{ name: 'zone-a' }] },
      },
    ]),
  );
  const endpointsOf = (payload: string, chain: string) =>
    chainOf(payload, 'nat', chain)
      .filter((l) => l.includes(' -> '))
      .map((l) => /-> (\S+)"/.exec(l)![1]);
  let r = p.syncProxyRules();
  t.same(endpointsOf(r.payload, 'KUBE-SVC-XPGD46QRK7WJZT7O'), ['10.180.0.1:80'], 'PreferClose: zone-a only');
  t.same(
    endpointsOf(r.payload, 'KUBE-SVC-GNZBNJ2PO5MGZ6GT'),
    ['10.180.1.1:80'],
    'PreferSameNode: this node only',
  );
  p.onNodeUpdate(undefined, zoneNode('zone-b'));
  r = p.syncProxyRules();
  t.equal(r.full, true, 'a zone label change is a full sync');
  t.same(
    endpointsOf(r.payload, 'KUBE-SVC-XPGD46QRK7WJZT7O'),
    ['10.180.0.2:80', '10.180.0.3:80'],
    'now zone-b',
  );
  t.same(r.deletedChains, ['KUBE-SEP-SXIVWICOYRO3J4NJ'], 'the zone-a endpoint chain goes');
  p.onNodeUpdate(undefined, zoneNode('zone-c'));
  r = p.syncProxyRules();
  t.same(
    endpointsOf(r.payload, 'KUBE-SVC-XPGD46QRK7WJZT7O'),
    ['10.180.0.1:80', '10.180.0.2:80', '10.180.0.3:80'],
    'no hint for this zone: every endpoint',
  );
});

t.test(
  'EndpointSlices merged per service port; an address in two slices once, non-terminating preferred',
  async (t) => {
    const payload = sync([
      svc('ns1', 'svc1', {
        clusterIP: '172.30.0.41',
        ports: [
          { name: 'p80', port: 80, protocol: 'TCP' },
          { name: 'p443', port: 443, protocol: 'TCP' },
        ],
      }),
      slice(
        'ns1',
        'svc1',
        [
          { addresses: ['10.180.0.1'], conditions: { ready: false, serving: true, terminating: true } },
          { addresses: ['10.180.0.10'] },
        ],
        undefined,
        {
          name: 'a',
        },
      ),
      slice('ns1', 'svc1', [{ addresses: ['10.180.0.1'] }, { addresses: ['10.180.0.2'] }], undefined, {
        name: 'b',
      }),
      slice('ns1', 'svc1', [{ addresses: ['10.180.0.3'] }], [{ name: 'p443', port: 8443, protocol: 'TCP' }], {
        name: 'c',
      }),
    ]);
    t.same(
      chainOf(payload, 'nat', 'KUBE-SVC-XPGD46QRK7WJZT7O').filter((l) => l.includes('->')),
      [
        '-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.10:80" -m statistic --mode random --probability 0.3333333333 -j KUBE-SEP-A6IB6ZRNSXM7OKSA',
        '-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-SXIVWICOYRO3J4NJ',
        '-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.2:80" -j KUBE-SEP-LXVODXWDISEETFEF',
      ],
      'string order of ip:port; 10.180.0.1 kept once, as ready',
    );
    t.match(payload, '--comment "ns1/svc1:p443 -> 10.180.0.3:8443"', 'the other port has its own endpoints');
  },
);

t.test('malformed input: a clear error naming file, line, object and field', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-iptables-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const cases: { name: string; yaml: string; flags?: Record<string, string>; want: string }[] = [
    {
      name: 'bad clusterIP',
      yaml: 'apiVersion: v1\nkind: Service\nmetadata: {name: web, namespace: ns1}\nspec:\n  clusterIP: 172.30.0.300\n  ports: [{port: 80}]\n',
      want: 'bad.yaml:5: Service ns1/web: spec.clusterIP: Invalid value: "172.30.0.300": must be a valid IP address',
    },
    {
      name: 'bad port and protocol',
      yaml: 'apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  clusterIP: 10.96.0.5\n  ports:\n  - port: 70000\n    protocol: ICMP\n',
      want: 'bad.yaml:7: Service default/web: spec.ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive\nbad.yaml:8: Service default/web: spec.ports[0].protocol: Unsupported value: "ICMP": supported values: "TCP", "UDP", "SCTP"',
    },
    {
      name: 'slice without the service-name label, address of the wrong family',
      yaml: 'apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: web-1, namespace: ns1}\naddressType: IPv4\nendpoints:\n- addresses: [fd00::1]\n',
      want: 'bad.yaml:3: EndpointSlice ns1/web-1: metadata.labels[kubernetes.io/service-name]: Required value: kube-proxy uses it to find the Service this slice belongs to\nbad.yaml:6: EndpointSlice ns1/web-1: endpoints[0].addresses[0]: Invalid value: "fd00::1": must be an IPv4 address',
    },
    {
      name: 'bad --ip-family',
      yaml: 'apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {clusterIP: 10.96.0.5, ports: [{port: 80}]}\n',
      flags: { ipFamily: 'ipv5' },
      want: '--ip-family: Unsupported value: "ipv5": supported values: "ipv4", "ipv6"',
    },
    {
      name: 'bad --node-ip, even with a Node of that name',
      yaml: 'apiVersion: v1\nkind: Node\nmetadata: {name: n1}\nstatus: {addresses: [{type: InternalIP, address: 192.168.0.2}]}\n',
      flags: { nodeIp: '192.168.0.300' },
      want: '--node-ip: invalid IP address "192.168.0.300"',
    },
    {
      name: 'bad --cluster-cidr',
      yaml: 'apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {clusterIP: 10.96.0.5, ports: [{port: 80}]}\n',
      flags: { clusterCidr: '10.0.0.0/33' },
      want: '--cluster-cidr: Invalid value: "10.0.0.0/33": must be a valid CIDR block (e.g. 10.100.0.0/16 or fde4:8dba:82e1::/48)',
    },
  ];
  for (const c of cases) {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, c.yaml);
    const err = t.throws(() => iptablesSaveManifests([file], { ...c.flags }), c.name) as Error;
    t.equal(err.message.replaceAll(`${dir}/`, ''), c.want, `${c.name}: message`);
    t.match((err as { code?: string }).code, /^NETLAB_/, `${c.name}: stable code`);
  }
});

t.test('objects are read as kube-proxy sees them: no service-CIDR or NodePort-range checks', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netlab-iptables-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'ok.yaml');
  writeFileSync(
    file,
    'apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec: {type: NodePort, clusterIP: 1.2.3.4, ports: [{name: http, port: 80, nodePort: 3}]}\n',
  );
  const { payload } = iptablesSaveManifests([file], { hostnameOverride: 'n1', nodeIp: '192.168.0.9' });
  t.match(
    payload,
    '-A KUBE-SERVICES -m comment --comment "default/web:http has no endpoints" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j REJECT',
  );
  t.match(
    payload,
    '-A KUBE-EXTERNAL-SERVICES -m comment --comment "default/web:http has no endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 3 -j REJECT',
  );
  // A slice without a namespace belongs to the default namespace too, as kubectl apply would put it.
  writeFileSync(
    join(dir, 'slice.yaml'),
    'apiVersion: discovery.k8s.io/v1\nkind: EndpointSlice\nmetadata: {name: web-1, labels: {kubernetes.io/service-name: web}}\naddressType: IPv4\nendpoints: [{addresses: [10.1.2.3]}]\nports: [{name: http, port: 8080}]\n',
  );
  const both = iptablesSaveManifests([file, join(dir, 'slice.yaml')], {
    hostnameOverride: 'n1',
    nodeIp: '192.168.0.9',
  }).payload;
  t.match(both, '-m comment --comment default/web:http -m tcp -p tcp -j DNAT --to-destination 10.1.2.3:8080');
  t.match(
    both,
    '-A KUBE-NODEPORTS -m comment --comment default/web:http -m tcp -p tcp --dport 3 -j KUBE-EXT-',
  );
});
