"""How many pods an instance type can run: the VPC CNI gives every pod an address of the
node's ENIs, so a node holds ENIs x (IPv4 addresses per ENI - 1) + 2 pods, whatever its
CPU and memory. EKS's managed node groups set kubelet's max-pods to this number.

From aws/amazon-vpc-cni-k8s misc/eni-max-pods.txt at v1.23.0 (the same in Karpenter
v1.14.1's zz_generated.vpclimits.go), for the types a system node group may use here.
The first `pulumi up` puts every controller on the system nodes (Karpenter's nodes come
after its NodePool), so tests/infra/test_capacity.py checks that they fit.
"""

MAX_PODS = {
    "t3.medium": 17,
    "t3a.medium": 17,
    "t3.large": 35,
    "t3a.large": 35,
    "t3.xlarge": 58,
    "m5.large": 29,
    "m6i.large": 29,
    "m7i.large": 29,
    "m7a.large": 29,
    "c6i.large": 29,
    "c7i.large": 29,
    "r7i.large": 29,
    "m5.xlarge": 58,
    "m6i.xlarge": 58,
    "m7i.xlarge": 58,
    "c7i.xlarge": 58,
}
