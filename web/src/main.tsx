import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { Route, Switch } from "wouter";
import { Layout } from "./components.tsx";
import { ExecutionPage } from "./pages/ExecutionPage.tsx";
import { Explorer } from "./pages/Explorer.tsx";
import { IntentPage } from "./pages/IntentPage.tsx";
import { NotFound } from "./pages/NotFound.tsx";
import { Operator } from "./pages/Operator.tsx";
import { Playground } from "./pages/Playground.tsx";
import "./styles.css";

const root = document.getElementById("root");
if (!root) throw new Error("the page has no #root");
createRoot(root).render(
  <StrictMode>
    <Layout>
      <Switch>
        <Route path="/">
          <Explorer />
        </Route>
        <Route path="/intents/:id">{(p) => <IntentPage id={p.id} />}</Route>
        <Route path="/executions/:id">{(p) => <ExecutionPage id={p.id} />}</Route>
        <Route path="/playground">
          <Playground />
        </Route>
        <Route path="/operator">
          <Operator />
        </Route>
        <Route>
          <NotFound />
        </Route>
      </Switch>
    </Layout>
  </StrictMode>,
);
