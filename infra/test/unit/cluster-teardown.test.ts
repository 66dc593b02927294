import { ruleIsOurs, splitRule } from '../../src/cluster/teardown';

// What `npm run cluster -- down` removes from iptables: only rules of kube-proxy, the kubelet and the
// CNI plugins (their chains, our pod range, our bridge), never anyone else's.
describe("the cluster teardown's iptables selection", () => {
  it('takes the jumps into KUBE- and CNI- chains, our pod range and our bridge', () => {
    expect(ruleIsOurs('-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES')).toBe(true);
    expect(ruleIsOurs('-A POSTROUTING -s 10.244.0.5/32 -m comment --comment "name: \\"eventline\\" id: \\"abc\\"" -j CNI-1234')).toBe(true);
    expect(ruleIsOurs('-A FORWARD -i eventline0 -j ACCEPT')).toBe(true);
  });

  it("leaves Docker's, a VPN's or anyone else's rules alone", () => {
    expect(ruleIsOurs('-A FORWARD -j DOCKER-USER')).toBe(false);
    expect(ruleIsOurs('-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE')).toBe(false);
    expect(ruleIsOurs('-A INPUT -i eth0 -p tcp --dport 22 -j ACCEPT')).toBe(false);
  });

  it('splits a saved rule into the arguments iptables -D needs, quoted comments kept whole', () => {
    expect(splitRule('POSTROUTING -m comment --comment "kube-proxy rules" -j KUBE-POSTROUTING')).toEqual([
      'POSTROUTING',
      '-m',
      'comment',
      '--comment',
      'kube-proxy rules',
      '-j',
      'KUBE-POSTROUTING',
    ]);
  });
});
