// The share a replica ratio can give a canary, for every pod count from 1 to 20 and every weight
// from 1% to 50%, the refusal when it misses the weight, and the observed share from request counts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  observedSharePct,
  podsForShare,
  replicaShareRefusal,
  replicaSplit,
  shareTolerancePp,
} from '../../src/shared/traffic-share';

test('replicas: every split of 1-20 pods at weights 1-50% is the closest one at the same total', () => {
  for (let pods = 1; pods <= 20; pods++) {
    for (let weight = 1; weight <= 50; weight++) {
      const split = replicaSplit(pods, weight);
      const total = Math.max(2, pods);
      assert.equal(split.totalPods, total, `${pods} pods at ${weight}%`);
      assert.equal(split.canaryPods + split.stablePods, total);
      assert.ok(split.canaryPods >= 1 && split.stablePods >= 1, `${pods} pods at ${weight}%: one pod per track`);
      assert.equal(split.sharePct, (100 * split.canaryPods) / total);
      assert.equal(split.errorPp, Math.abs(split.sharePct - weight));
      // No other split of the same total is closer; an equally close one has more canary pods.
      for (let c = 1; c < total; c++) {
        const err = Math.abs((100 * c) / total - weight);
        assert.ok(err >= split.errorPp - 1e-9, `${pods} pods at ${weight}%: ${c} canary pods would be closer`);
        if (Math.abs(err - split.errorPp) < 1e-9) assert.ok(c >= split.canaryPods, 'ties go to fewer canary pods');
      }
    }
  }
});

test('replicas: the shares a 10% canary really gets with 1, 2, 3, 10 and 20 pods', () => {
  const at10 = (pods: number) => replicaSplit(pods, 10);
  assert.deepEqual(at10(1), { totalPods: 2, canaryPods: 1, stablePods: 1, sharePct: 50, errorPp: 40 });
  assert.equal(at10(2).sharePct, 50);
  assert.equal(Math.round(at10(3).sharePct * 100) / 100, 33.33);
  assert.deepEqual(at10(10), { totalPods: 10, canaryPods: 1, stablePods: 9, sharePct: 10, errorPp: 0 });
  assert.deepEqual(at10(20), { totalPods: 20, canaryPods: 2, stablePods: 18, sharePct: 10, errorPp: 0 });
  assert.equal(replicaSplit(4, 25).sharePct, 25);
  assert.equal(replicaSplit(7, 50).sharePct, (100 * 3) / 7);
});

test('replicas: the fewest pods within the allowed error', () => {
  assert.equal(podsForShare(10, 5), 7); // 1 of 7 = 14.3%, 4.3 pp off; 1 of 6 = 16.7% is 6.7 pp off
  assert.equal(podsForShare(10, 0), 10);
  assert.equal(podsForShare(50, 0), 2);
  assert.equal(podsForShare(25, 0), 4);
});

test('replicas: a split off by more than canary.maxShareError is refused, saying what would work', () => {
  assert.equal(replicaShareRefusal('api-gateway', 10, 10, 5), null);
  assert.equal(replicaShareRefusal('api-gateway', 7, 10, 5), null);
  assert.equal(
    replicaShareRefusal('orchestrator', 2, 10, 5),
    'orchestrator: replicas routing gives the canary 50% of 2 pods (1 canary beside 1 stable), 40 pp off the 10% weight ' +
      '(canary.maxShareError 5 pp); run at least 7 pods (1 canary beside 6 stable gives 14.29%), or route by weight (router: gateway-api)',
  );
  assert.match(
    replicaShareRefusal('workers', 1, 10, 5) ?? '',
    /^workers: .* 50% of 2 pods \(1 canary beside 1 stable\)/,
  );
  assert.match(replicaShareRefusal('workers', 3, 10, 5) ?? '', /33\.33% of 3 pods.*23\.33 pp off/);
});

test('observed share: canary / (canary + stable) requests, null without data', () => {
  assert.equal(observedSharePct(100, 900), 10);
  assert.equal(observedSharePct(0, 900), 0);
  assert.equal(observedSharePct(500, 500), 50);
  assert.equal(observedSharePct(null, 900), null);
  assert.equal(observedSharePct(100, null), null);
  assert.equal(observedSharePct(0, 0), null);
  assert.equal(shareTolerancePp(10, undefined), 5);
  assert.equal(shareTolerancePp(10, null), 5);
  assert.equal(shareTolerancePp(10, 2), 2);
});
