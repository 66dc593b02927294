import { failedModule } from '../../src/cluster/strimzi-build';
import { launchedClass } from '../../src/cluster/strimzi-images';

describe('failedModule: the module that broke a Maven reactor, and why', () => {
  it('names the module and the compiler errors above the goal line', () => {
    const log = [
      '[INFO] Building Strimzi Topic Operator 1.2.0                              [11/14]',
      '[ERROR] COMPILATION ERROR : ',
      '[ERROR] /src/topic-operator/src/main/java/io/strimzi/operator/topic/BatchingLoop.java:[9,40] package io.strimzi.api.kafka.model.topic does not exist',
      '[INFO] Strimzi Topic Operator ............................. FAILURE [ 17.713 s]',
      '[ERROR] Failed to execute goal org.apache.maven.plugins:maven-compiler-plugin:3.14.0:compile (default-compile) on project topic-operator: Compilation failure: Compilation failure:  -> [Help 1]',
    ].join('\n');
    const failed = failedModule(log);
    expect(failed?.module).toBe('topic-operator');
    expect(failed?.error).toContain('Compilation failure');
    expect(failed?.error).toContain('BatchingLoop.java:[9,40] package io.strimzi.api.kafka.model.topic does not exist');
    expect(failed?.error).not.toContain('[Help 1]');
  });

  it('names an unresolvable dependency', () => {
    const log =
      '[ERROR] Failed to execute goal on project cluster-operator: Could not resolve dependencies for project io.strimzi:cluster-operator:jar:1.2.0: Could not find artifact io.strimzi:strimzi-test-container:jar:0.116.0 in central (https://repo.maven.apache.org/maven2) -> [Help 1]';
    expect(failedModule(log)).toEqual({
      module: 'cluster-operator',
      error:
        'Could not resolve dependencies for project io.strimzi:cluster-operator:jar:1.2.0: Could not find artifact io.strimzi:strimzi-test-container:jar:0.116.0 in central (https://repo.maven.apache.org/maven2)',
    });
  });

  it('falls back to the Reactor Summary row, and finds nothing in a successful log', () => {
    expect(failedModule('[INFO] Strimzi API ........................................ FAILURE [01:50 min]')?.module).toBe('Strimzi API');
    expect(failedModule('[INFO] Strimzi API ........................................ SUCCESS [01:50 min]\n[INFO] BUILD SUCCESS')).toBeUndefined();
  });
});

describe('launchedClass: the main class a Kafka launch script runs', () => {
  it('reads it with or without $EXTRA_ARGS, and not from a script that runs a variable', () => {
    expect(launchedClass('exec $(dirname $0)/kafka-run-class.sh kafka.tools.StorageTool "$@"')).toBe('kafka.tools.StorageTool');
    expect(launchedClass('exec $base_dir/kafka-run-class.sh $EXTRA_ARGS kafka.Kafka "$@"')).toBe('kafka.Kafka');
    expect(launchedClass('exec $(dirname $0)/kafka-run-class.sh $EXTRA_ARGS org.apache.zookeeper.server.quorum.QuorumPeerMain "$@"')).toBe(
      'org.apache.zookeeper.server.quorum.QuorumPeerMain',
    );
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell variable in a launcher script.
    expect(launchedClass('exec $(dirname $0)/kafka-run-class.sh "${CLASS}" "$@"')).toBeUndefined();
    expect(launchedClass('#!/bin/bash\necho no launcher here')).toBeUndefined();
  });
});
