package api

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/hypersdk/hypersdk/core/jobs"
)

// ClusterResponse answers GET /cluster/nodes: this node and the cluster's live nodes (several
// daemons on one etcd store, database.backend etcd). A single daemon has no cluster: its node
// id is empty and it lists no nodes.
type ClusterResponse struct {
	NodeID string            `json:"node_id"`
	Nodes  []jobs.NodeStatus `json:"nodes"`
}

func (h *handlers) clusterNodes(c *gin.Context) {
	nodes, err := h.Jobs.ClusterNodes(c)
	if err != nil {
		abort(c, http.StatusServiceUnavailable, "cluster_unavailable", "cannot read the cluster's nodes: "+err.Error(), "")
		return
	}
	if nodes == nil {
		nodes = []jobs.NodeStatus{}
	}
	c.JSON(http.StatusOK, ClusterResponse{NodeID: h.Jobs.NodeID(), Nodes: nodes})
}
